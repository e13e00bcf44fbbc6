package session

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// Looking up an access token is one Redis command, on a single node and on
// a Cluster.
func TestLookupAccessOneRedisCommand(t *testing.T) {
	for name, newStore := range map[string]func(testing.TB) (*RedisStore, redis.UniversalClient){
		"redis": newRedisStore, "redis-cluster": newRedisClusterStore,
	} {
		t.Run(name, func(t *testing.T) {
			s, c := newStore(t)
			m := NewManager(s, Config{TokenKey: testTokenKey})
			p, err := m.IssueTokens(t.Context(), uuid.New(), TokenMeta{})
			if err != nil {
				t.Fatal(err)
			}
			counter := &commandCounter{}
			c.AddHook(counter)
			if _, err := m.LookupAccess(t.Context(), p.AccessToken); err != nil {
				t.Fatal(err)
			}
			if got := counter.n.Load(); got != 1 {
				t.Errorf("LookupAccess sent %d commands, want 1", got)
			}
		})
	}
}

// commandCounter counts the commands a client sends.
type commandCounter struct{ n atomic.Int64 }

func (h *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "cluster" { // the cluster client's slot map refresh
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func TestTokenConfig(t *testing.T) {
	st := NewPostgresStore(dbtest.New(t).App)
	m := NewManager(st, Config{})
	if _, err := m.IssueTokens(t.Context(), uuid.New(), TokenMeta{}); !errors.Is(err, errTokensDisabled) {
		t.Errorf("IssueTokens without a TokenKey: %v, want errTokensDisabled", err)
	}
	if _, err := m.Refresh(t.Context(), "tkr_x"); !errors.Is(err, errTokensDisabled) {
		t.Errorf("Refresh without a TokenKey: %v, want errTokensDisabled", err)
	}
	for name, cfg := range map[string]Config{
		"short key":                   {TokenKey: []byte("short")},
		"grace not below access life": {TokenKey: testTokenKey, RefreshGrace: time.Minute, AccessTokenLifetime: time.Minute},
		"access outliving idle":       {TokenKey: testTokenKey, AccessTokenLifetime: time.Hour, TokenIdleTimeout: time.Minute},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewManager did not panic", name)
				}
			}()
			NewManager(st, cfg)
		}()
	}
	// Two managers with one key derive the same successors (replicas
	// agree on a retry); another key derives others.
	id := uuid.New()
	a, b, other := NewManager(st, Config{TokenKey: testTokenKey}), NewManager(st, Config{TokenKey: testTokenKey}),
		NewManager(st, Config{TokenKey: bytes.Repeat([]byte("o"), MinTokenKeyBytes)})
	r := randomBearer(RefreshTokenPrefix, id)
	ra, aa := a.successors(id, r)
	rb, ab := b.successors(id, r)
	ro, _ := other.successors(id, r)
	if ra != rb || aa != ab || ra == ro || ra == aa {
		t.Errorf("successors: %s %s / %s %s / %s", ra, aa, rb, ab, ro)
	}
	if fid, _, ok := parseBearer(ra, RefreshTokenPrefix); !ok || fid != id {
		t.Errorf("a successor does not parse as a refresh token of its family: %v %v", fid, ok)
	}
}
