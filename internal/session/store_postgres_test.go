package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/dbtest"
	"github.com/tenantkit/tenantkit/internal/session/internal/sessiondb"
)

// expiredRows inserts n expired sessions straight into the table and
// returns their token hashes.
func expiredRows(t *testing.T, d *dbtest.DB, n int) [][]byte {
	t.Helper()
	rows, err := d.App.Query(t.Context(), `
INSERT INTO sessions (token_hash, data, expires_at)
SELECT sha256(convert_to(gen_random_uuid()::text, 'UTF8')), '{}', now() - interval '1 minute'
FROM generate_series(1, $1)
RETURNING token_hash`, n)
	if err != nil {
		t.Fatal(err)
	}
	hashes, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		t.Fatal(err)
	}
	return hashes
}

// countStored counts the rows stored under hashes. It counts only the
// test's own rows: the package's tests share the database, and a row of
// another test's may expire at any moment.
func countStored(t *testing.T, d *dbtest.DB, hashes [][]byte) int {
	t.Helper()
	var n int
	if err := d.App.QueryRow(t.Context(), "SELECT count(*) FROM sessions WHERE token_hash = ANY($1)", hashes).Scan(&n); err != nil {
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
	expired := expiredRows(t, d, n)

	deleted, err := s.DeleteExpired(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if deleted < n {
		t.Errorf("DeleteExpired = %d, want at least %d", deleted, n)
	}
	if got := countStored(t, d, expired); got != 0 {
		t.Errorf("%d of the %d expired rows left", got, n)
	}
	if _, found, err := s.FindCtx(t.Context(), live); err != nil || !found {
		t.Errorf("the live session was lost: found %v, err %v", found, err)
	}
}

// With every pooled connection taken, a call waits for one only as long as
// the acquire timeout and then fails with ErrUnavailable (a 503), however
// long the request itself may run.
func TestPostgresPoolWaitIsBounded(t *testing.T) {
	d := dbtest.New(t)
	pool := d.AppPool(t, 1)
	s := NewPostgresStore(pool, WithAcquireTimeout(100*time.Millisecond))
	token := newToken()
	b := encode(t, Session{ID: uuid.New(), UserID: uuid.New()}, time.Now().Add(time.Hour))
	// Set up through a store with the default acquire timeout: on a loaded
	// machine even a free connection may take s longer than 100ms to get.
	if err := NewPostgresStore(pool).CommitCtx(t.Context(), token, b, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	held, err := pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	// The request's context has no deadline. The cancel is a backstop so
	// that a wait without bound fails the test instead of hanging it.
	ctx, cancel := context.WithCancel(t.Context())
	defer time.AfterFunc(waitBound, cancel).Stop()
	defer cancel()

	calls := map[string]func() error{
		"FindCtx":   func() error { _, _, err := s.FindCtx(ctx, token); return err },
		"CommitCtx": func() error { return s.CommitCtx(ctx, token, b, time.Now().Add(time.Hour)) },
		"TouchCtx":  func() error { _, err := s.TouchCtx(ctx, token, b, time.Now().Add(time.Hour)); return err },
		"RotateCtx": func() error {
			_, err := s.RotateCtx(ctx, token, newToken(), b, time.Now().Add(time.Hour))
			return err
		},
		"DeleteCtx":          func() error { return s.DeleteCtx(ctx, token) },
		"ListUser":           func() error { _, err := s.ListUser(ctx, uuid.New()); return err },
		"DeleteUserSession":  func() error { _, err := s.DeleteUserSession(ctx, uuid.New(), TokenHash{1}); return err },
		"DeleteUserSessions": func() error { return s.DeleteUserSessions(ctx, uuid.New(), TokenHash{}, uuid.Nil) },
		"DeleteExpired":      func() error { _, err := s.DeleteExpired(ctx); return err },
		"Ping":               func() error { return s.Ping(ctx) },
	}
	for name, call := range tokenStoreCalls(ctx) {
		calls[name] = func() error { return call(s) }
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s with the pool exhausted: err = %v, want ErrUnavailable", name, err)
		}
	}

	// Once a connection is free again, the store works. On a loaded
	// machine one call may miss its 100ms to get even a free connection,
	// so it is retried; a store left unable to get one fails after
	// waitBound.
	held.Release()
	var found bool
	if !eventually(func() bool {
		_, found, err = s.FindCtx(t.Context(), token)
		return !errors.Is(err, ErrUnavailable)
	}) || err != nil || !found {
		t.Errorf("FindCtx after the pool freed up = %v, %v", found, err)
	}
	if got := NewPostgresStore(pool).acquireTimeout; got != database.DefaultAcquireTimeout {
		t.Errorf("default acquire timeout = %v, want %v", got, database.DefaultAcquireTimeout)
	}
}

// RotateCtx and a revocation of all the user's sessions exclude each other,
// whichever takes the row first: the revocation never misses the moved row.
func TestPostgresRotateRacingRevokeAll(t *testing.T) {
	d := dbtest.New(t)
	s := NewPostgresStore(d.App)
	user := uuid.New()
	data := encode(t, Session{ID: uuid.New(), UserID: user}, time.Now().Add(time.Hour))
	newSession := func() string {
		token := newToken()
		if err := s.CommitCtx(t.Context(), token, data, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		return token
	}
	// waitBlocked waits until a statement of this database waits on a lock.
	waitBlocked := func() {
		t.Helper()
		if !eventually(func() bool {
			var n int
			err := d.Owner.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			return n > 0
		}) {
			t.Fatalf("the second statement did not wait for the first within %v", waitBound)
		}
	}
	hashOf := func(token string) []byte { h := sha256.Sum256([]byte(token)); return h[:] }
	stored := func(token string) bool {
		var ok bool
		if err := d.App.QueryRow(t.Context(), "SELECT EXISTS (SELECT FROM sessions WHERE token_hash = $1)", hashOf(token)).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}

	t.Run("rotation first", func(t *testing.T) {
		old, next := newSession(), newToken()
		tx, err := d.App.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(t.Context())
		n, err := sessiondb.New(tx).RotateSession(t.Context(), sessiondb.RotateSessionParams{
			NewTokenHash: hashOf(next), UserID: nullUUID(user), Data: data,
			ExpiresAt: time.Now().Add(time.Hour), OldTokenHash: hashOf(old),
		})
		if err != nil || n != 1 {
			t.Fatalf("RotateSession = %d, %v", n, err)
		}
		revoked := make(chan error)
		go func() { revoked <- s.DeleteUserSessions(context.Background(), user, TokenHash{}, uuid.Nil) }()
		waitBlocked()
		if err := tx.Commit(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := <-revoked; err != nil {
			t.Fatal(err)
		}
		if stored(old) || stored(next) {
			t.Errorf("after the revocation: old stored %v, new stored %v; want neither", stored(old), stored(next))
		}
	})

	t.Run("revocation first", func(t *testing.T) {
		old, next := newSession(), newToken()
		tx, err := d.App.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(t.Context())
		if _, err := sessiondb.New(tx).DeleteUserSessions(t.Context(), sessiondb.DeleteUserSessionsParams{UserID: nullUUID(user), Keep: []byte{}, FamilyUserID: user}); err != nil {
			t.Fatal(err)
		}
		type result struct {
			found bool
			err   error
		}
		rotated := make(chan result)
		go func() {
			found, err := s.RotateCtx(context.Background(), old, next, data, time.Now().Add(time.Hour))
			rotated <- result{found, err}
		}()
		waitBlocked()
		if err := tx.Commit(t.Context()); err != nil {
			t.Fatal(err)
		}
		if r := <-rotated; r.err != nil || r.found {
			t.Errorf("RotateCtx after the revocation = %v, %v; want false, nil", r.found, r.err)
		}
		if stored(old) || stored(next) {
			t.Errorf("after the revocation: old stored %v, new stored %v; want neither", stored(old), stored(next))
		}
	})
}

// The cleanup also deletes the expired access tokens of a live family,
// which a rotation leaves behind (one per rotation).
func TestPostgresCleanupExpiredAccessTokens(t *testing.T) {
	pool := dbtest.New(t).App
	s := NewPostgresStore(pool)
	now := time.Now().UTC()
	f := Family{ID: uuid.New(), UserID: uuid.New(), CreatedAt: now.Add(-time.Hour), LastSeenAt: now.Add(-time.Hour),
		IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(2 * time.Hour)}
	first := hashOf(newToken())
	if err := s.CreateFamily(t.Context(), f, hashOf(newToken()), first, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	live := hashOf(newToken())
	if _, err := pool.Exec(t.Context(), "INSERT INTO access_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)",
		live[:], f.ID, f.UserID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteExpired(t.Context()); err != nil {
		t.Fatal(err)
	}
	var hashes [][]byte
	rows, err := pool.Query(t.Context(), "SELECT token_hash FROM access_tokens WHERE family_id = $1", f.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(hashes) != 1 || !bytes.Equal(hashes[0], live[:]) {
		t.Errorf("access tokens left after cleanup: %x; want only the live one %x", hashes, live[:])
	}
	if _, found, err := s.LookupAccess(t.Context(), f.ID, live, now); err != nil || !found {
		t.Errorf("LookupAccess of the live access token = %v, %v", found, err)
	}
}
