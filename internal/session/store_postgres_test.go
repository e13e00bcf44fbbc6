package session

import (
	"log/slog"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// expiredRows inserts n expired sessions straight into the table.
func expiredRows(t *testing.T, d *dbtest.DB, n int) {
	t.Helper()
	_, err := d.App.Exec(t.Context(), `
INSERT INTO sessions (token_hash, data, expires_at)
SELECT sha256(convert_to(gen_random_uuid()::text, 'UTF8')), '{}', now() - interval '1 minute'
FROM generate_series(1, $1)`, n)
	if err != nil {
		t.Fatal(err)
	}
}

func countExpired(t *testing.T, d *dbtest.DB) int {
	t.Helper()
	var n int
	if err := d.App.QueryRow(t.Context(), "SELECT count(*) FROM sessions WHERE expires_at <= now()").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPostgresDeleteExpiredInBatches(t *testing.T) {
	d := dbtest.New(t)
	s := NewPostgresStore(d.App)
	live := newToken()
	if err := s.CommitCtx(t.Context(), live, encode(t, Session{}, time.Now()), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	const n = 2*cleanupBatch + 7 // three statements
	expiredRows(t, d, n)

	deleted, err := s.DeleteExpired(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if deleted < n {
		t.Errorf("DeleteExpired = %d, want at least %d", deleted, n)
	}
	if got := countExpired(t, d); got != 0 {
		t.Errorf("%d expired rows left", got)
	}
	if _, found, err := s.FindCtx(t.Context(), live); err != nil || !found {
		t.Errorf("the live session was lost: found %v, err %v", found, err)
	}
}

func TestPostgresCleanupRunsInBackground(t *testing.T) {
	d := dbtest.New(t)
	s := NewPostgresStore(d.App)
	s.StartCleanup(t.Context(), 20*time.Millisecond, slog.New(slog.DiscardHandler))
	t.Cleanup(s.Close)

	expiredRows(t, d, 10)
	deadline := time.Now().Add(5 * time.Second)
	for countExpired(t, d) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("background cleanup did not remove expired rows")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// After Close nothing runs: expired rows stay.
	s.Close()
	expiredRows(t, d, 3)
	time.Sleep(100 * time.Millisecond)
	if got := countExpired(t, d); got != 3 {
		t.Errorf("%d expired rows after Close, want the 3 inserted after it", got)
	}
	s.Close() // idempotent
}
