package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/session/internal/sessiondb"
)

var _ Store = (*PostgresStore)(nil)

// cleanupBatch is how many expired rows one cleanup statement deletes, so
// no statement holds many row locks or runs long.
const cleanupBatch = 1000

// PostgresStore keeps sessions in the sessions table, one row per session
// keyed by the token's hash, with the user id in its own column for the
// per-user index. Expired rows are invisible to every query and removed by
// DeleteExpired, which a periodic job runs (package app wires it).
//
// Every call waits at most its acquire timeout for a pooled connection and
// then fails with ErrUnavailable, so a saturated pool answers 503 quickly
// instead of holding requests until their own deadline. The statement itself
// runs under the caller's context.
type PostgresStore struct {
	pool           *pgxpool.Pool
	acquireTimeout time.Duration
}

// PostgresOption configures a PostgresStore.
type PostgresOption func(*PostgresStore)

// WithAcquireTimeout bounds how long each call waits for a pooled connection
// before failing with ErrUnavailable; d <= 0 means database.DefaultAcquireTimeout.
func WithAcquireTimeout(d time.Duration) PostgresOption {
	return func(s *PostgresStore) {
		if d > 0 {
			s.acquireTimeout = d
		}
	}
}

// NewPostgresStore returns a store on pool, which must connect as the
// runtime role.
func NewPostgresStore(pool *pgxpool.Pool, opts ...PostgresOption) *PostgresStore {
	s := &PostgresStore{pool: pool, acquireTimeout: database.DefaultAcquireTimeout}
	for _, o := range opts {
		o(s)
	}
	return s
}

// acquire returns a pooled connection, waiting at most the acquire timeout.
// That wait's own deadline becomes ErrUnavailable; the request's
// (cancelled, timed out) is reported as it is.
func (s *PostgresStore) acquire(ctx context.Context, op string) (*pgxpool.Conn, error) {
	acquireCtx, cancel := context.WithTimeout(ctx, s.acquireTimeout)
	defer cancel()
	conn, err := s.pool.Acquire(acquireCtx)
	if err != nil {
		if ctx.Err() == nil && errors.Is(acquireCtx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("session store: %s: %w: no database connection within %v: %w", op, ErrUnavailable, s.acquireTimeout, err)
		}
		return nil, pgError(op, err)
	}
	return conn, nil
}

// pgQuery returns what fn, running its one statement on a connection from
// acquire, returns.
func pgQuery[T any](ctx context.Context, s *PostgresStore, op string, fn func(q *sessiondb.Queries) (T, error)) (T, error) {
	var v T
	conn, err := s.acquire(ctx, op)
	if err != nil {
		return v, err
	}
	defer conn.Release()
	if v, err = fn(sessiondb.New(conn)); err != nil {
		return v, pgError(op, err)
	}
	return v, nil
}

// FindCtx implements Store.
func (s *PostgresStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	h, ok := hashToken(token)
	if !ok {
		return nil, false, nil
	}
	b, err := pgQuery(ctx, s, "find session", func(q *sessiondb.Queries) ([]byte, error) { return q.FindSession(ctx, h[:]) })
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	return b, err == nil, err
}

// CommitCtx implements Store.
func (s *PostgresStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	h, ok := hashToken(token)
	if !ok {
		return errMalformedToken
	}
	uid, err := userIDOf(b)
	if err != nil {
		return err
	}
	_, err = pgQuery(ctx, s, "commit session", func(q *sessiondb.Queries) (struct{}, error) {
		return struct{}{}, q.UpsertSession(ctx, sessiondb.UpsertSessionParams{TokenHash: h[:], UserID: nullUUID(uid), Data: b, ExpiresAt: expiry})
	})
	return err
}

// DeleteCtx implements Store.
func (s *PostgresStore) DeleteCtx(ctx context.Context, token string) error {
	h, ok := hashToken(token)
	if !ok {
		return nil
	}
	_, err := pgQuery(ctx, s, "delete session", func(q *sessiondb.Queries) (struct{}, error) { return struct{}{}, q.DeleteSession(ctx, h[:]) })
	return err
}

// TouchCtx implements Store.
func (s *PostgresStore) TouchCtx(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	h, ok := hashToken(token)
	if !ok {
		return false, nil
	}
	n, err := pgQuery(ctx, s, "touch session", func(q *sessiondb.Queries) (int64, error) {
		return q.TouchSession(ctx, sessiondb.TouchSessionParams{TokenHash: h[:], Data: b, ExpiresAt: expiry})
	})
	return n > 0, err
}

// RotateCtx implements Store. It moves the row in place (one UPDATE of its
// key), so a revocation racing it cannot miss the session: a DELETE that
// finds the row moved re-checks the moved row and deletes it (READ
// COMMITTED), and a rotation that finds the row deleted updates nothing.
func (s *PostgresStore) RotateCtx(ctx context.Context, oldToken, newToken string, b []byte, expiry time.Time) (bool, error) {
	rot, err := parseRotation(oldToken, newToken, b, expiry)
	switch {
	case err != nil || rot.skip:
		return false, err
	case rot.expired:
		return false, s.DeleteCtx(ctx, oldToken)
	}
	n, err := pgQuery(ctx, s, "rotate session", func(q *sessiondb.Queries) (int64, error) {
		return q.RotateSession(ctx, sessiondb.RotateSessionParams{
			NewTokenHash: rot.newHash[:], OldTokenHash: rot.oldHash[:],
			UserID: nullUUID(rot.userID), Data: b, ExpiresAt: expiry,
		})
	})
	return n > 0, err
}

// ListUser implements Store.
func (s *PostgresStore) ListUser(ctx context.Context, userID uuid.UUID) ([]Record, error) {
	rows, err := pgQuery(ctx, s, "list sessions", func(q *sessiondb.Queries) ([]sessiondb.ListUserSessionsRow, error) {
		return q.ListUserSessions(ctx, sessiondb.ListUserSessionsParams{UserID: nullUUID(userID), MaxSessions: maxListed})
	})
	if err != nil {
		return nil, err
	}
	recs := make([]Record, 0, len(rows))
	for _, r := range rows {
		rec := Record{Data: r.Data, ExpiresAt: r.ExpiresAt}
		if copy(rec.Hash[:], r.TokenHash) != len(rec.Hash) {
			return nil, fmt.Errorf("list sessions: token hash of %d bytes", len(r.TokenHash))
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// DeleteUserSession implements Store.
func (s *PostgresStore) DeleteUserSession(ctx context.Context, userID uuid.UUID, h TokenHash) (bool, error) {
	n, err := pgQuery(ctx, s, "delete session", func(q *sessiondb.Queries) (int64, error) {
		return q.DeleteUserSession(ctx, sessiondb.DeleteUserSessionParams{UserID: nullUUID(userID), TokenHash: h[:]})
	})
	return n > 0, err
}

// DeleteUserSessions implements Store.
// Sessions and token families go in one statement.
func (s *PostgresStore) DeleteUserSessions(ctx context.Context, userID uuid.UUID, keep TokenHash, keepFamily uuid.UUID) error {
	keepArg := []byte{} // matches no row: delete them all
	if keep != (TokenHash{}) {
		keepArg = keep[:]
	}
	_, err := pgQuery(ctx, s, "delete sessions", func(q *sessiondb.Queries) (int64, error) {
		return q.DeleteUserSessions(ctx, sessiondb.DeleteUserSessionsParams{
			UserID: nullUUID(userID), Keep: keepArg,
			FamilyUserID: userID, KeepFamily: keepFamily, // uuid.Nil is no family's id
		})
	})
	return err
}

// Ping implements Store. A saturated pool fails it too: the store could not
// serve a request now.
func (s *PostgresStore) Ping(ctx context.Context) error {
	conn, err := s.acquire(ctx, "ping")
	if err != nil {
		return err
	}
	defer conn.Release()
	if err := conn.Ping(ctx); err != nil {
		return pgError("ping", err)
	}
	return nil
}

// DeleteExpired deletes every expired session, token family and access
// token, a batch at a time, and returns how many rows it deleted (not
// counting the tokens of the families).
func (s *PostgresStore) DeleteExpired(ctx context.Context) (int64, error) {
	total, err := s.deleteExpiredTokens(ctx)
	if err != nil {
		return total, err
	}
	for {
		n, err := pgQuery(ctx, s, "delete expired sessions", func(q *sessiondb.Queries) (int64, error) {
			return q.DeleteExpiredSessions(ctx, cleanupBatch)
		})
		total += n
		if err != nil {
			return total, err
		}
		if n < cleanupBatch {
			return total, nil
		}
	}
}

func nullUUID(id uuid.UUID) uuid.NullUUID {
	return uuid.NullUUID{UUID: id, Valid: id != uuid.Nil}
}

// pgError wraps err, marking outages with ErrUnavailable.
func pgError(op string, err error) error {
	if database.IsUnavailable(err) {
		return fmt.Errorf("session store: %s: %w: %w", op, ErrUnavailable, err)
	}
	return fmt.Errorf("session store: %s: %w", op, err)
}
