package session

import (
	"testing"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// TestStoreConfigRecord: the runtime role records which store the servers
// use, the last record wins, and a record that could not be a server's is
// refused before it reaches the database.
func TestStoreConfigRecord(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	if _, err := d.Owner.Exec(ctx, "DELETE FROM session_store_config"); err != nil {
		t.Fatal(err)
	}
	if _, _, found, err := RecordedStoreConfig(ctx, d.App); err != nil || found {
		t.Fatalf("RecordedStoreConfig before any record = found %v, %v", found, err)
	}
	for _, c := range []StoreConfig{{Kind: "redis", RedisPrefix: "tenantkit:a:"}, {Kind: "postgres"}, {Kind: "redis", RedisPrefix: "tenantkit:b:"}} {
		if err := RecordStoreConfig(ctx, d.App, c); err != nil {
			t.Fatalf("RecordStoreConfig(%+v): %v", c, err)
		}
		got, at, found, err := RecordedStoreConfig(ctx, d.App)
		if err != nil || !found || got != c || at.IsZero() {
			t.Errorf("RecordedStoreConfig after recording %+v = %+v at %v, found %v, %v", c, got, at, found, err)
		}
	}
	for _, bad := range []StoreConfig{{}, {Kind: "memcached"}, {Kind: "redis"}, {Kind: "postgres", RedisPrefix: "x:"}} {
		if err := RecordStoreConfig(ctx, d.App, bad); err == nil {
			t.Errorf("RecordStoreConfig(%+v) = nil, want an error", bad)
		}
	}
	if got := (StoreConfig{Kind: "redis", RedisPrefix: "tenantkit:b:"}).String(); got != "SESSION_STORE=redis REDIS_KEY_PREFIX=tenantkit:b:" {
		t.Errorf("String = %q", got)
	}
}
