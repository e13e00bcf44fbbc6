package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/session/sessiondb"
)

var (
	_ scs.CtxStore = (*PostgresStore)(nil)
	_ Store        = (*PostgresStore)(nil)
)

// cleanupBatch is how many expired rows one cleanup statement deletes, so
// no statement holds many row locks or runs long.
const cleanupBatch = 1000

// PostgresStore keeps sessions in the sessions table, one row per session
// keyed by the token's hash, with the user id in its own column for the
// per-user index. Expired rows are invisible to every query and removed by
// DeleteExpired, which StartCleanup runs in the background.
type PostgresStore struct {
	pool *pgxpool.Pool
	q    *sessiondb.Queries

	mu          sync.Mutex
	stopCleanup context.CancelFunc
	cleanupDone chan struct{}
}

// NewPostgresStore returns a store on pool, which must connect as the
// runtime role.
func NewPostgresStore(pool *pgxpool.Pool) *PostgresStore {
	return &PostgresStore{pool: pool, q: sessiondb.New(pool)}
}

// FindCtx implements scs.CtxStore.
func (s *PostgresStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	h, ok := hashToken(token)
	if !ok {
		return nil, false, nil
	}
	b, err := s.q.FindSession(ctx, h[:])
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, pgError("find session", err)
	}
	return b, true, nil
}

// CommitCtx implements scs.CtxStore.
func (s *PostgresStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	h, ok := hashToken(token)
	if !ok {
		return errMalformedToken
	}
	uid, err := userIDOf(b)
	if err != nil {
		return err
	}
	err = s.q.UpsertSession(ctx, sessiondb.UpsertSessionParams{
		TokenHash: h[:],
		UserID:    nullUUID(uid),
		Data:      b,
		ExpiresAt: expiry,
	})
	if err != nil {
		return pgError("commit session", err)
	}
	return nil
}

// DeleteCtx implements scs.CtxStore.
func (s *PostgresStore) DeleteCtx(ctx context.Context, token string) error {
	h, ok := hashToken(token)
	if !ok {
		return nil
	}
	if err := s.q.DeleteSession(ctx, h[:]); err != nil {
		return pgError("delete session", err)
	}
	return nil
}

// TouchCtx implements Store.
func (s *PostgresStore) TouchCtx(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	h, ok := hashToken(token)
	if !ok {
		return false, nil
	}
	n, err := s.q.TouchSession(ctx, sessiondb.TouchSessionParams{TokenHash: h[:], Data: b, ExpiresAt: expiry})
	if err != nil {
		return false, pgError("touch session", err)
	}
	return n > 0, nil
}

// ListUser implements Store.
func (s *PostgresStore) ListUser(ctx context.Context, userID uuid.UUID) ([]Record, error) {
	rows, err := s.q.ListUserSessions(ctx, sessiondb.ListUserSessionsParams{UserID: nullUUID(userID), MaxSessions: maxListed})
	if err != nil {
		return nil, pgError("list sessions", err)
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
	n, err := s.q.DeleteUserSession(ctx, sessiondb.DeleteUserSessionParams{UserID: nullUUID(userID), TokenHash: h[:]})
	if err != nil {
		return false, pgError("delete session", err)
	}
	return n > 0, nil
}

// DeleteUserSessions implements Store.
func (s *PostgresStore) DeleteUserSessions(ctx context.Context, userID uuid.UUID, keep TokenHash) error {
	keepArg := []byte{} // matches no row: delete them all
	if keep != (TokenHash{}) {
		keepArg = keep[:]
	}
	_, err := s.q.DeleteUserSessions(ctx, sessiondb.DeleteUserSessionsParams{UserID: nullUUID(userID), Keep: keepArg})
	if err != nil {
		return pgError("delete sessions", err)
	}
	return nil
}

// Ping implements Store.
func (s *PostgresStore) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return pgError("ping", err)
	}
	return nil
}

// DeleteExpired deletes every expired session, a batch at a time, and
// returns how many it deleted.
func (s *PostgresStore) DeleteExpired(ctx context.Context) (int64, error) {
	var total int64
	for {
		n, err := s.q.DeleteExpiredSessions(ctx, cleanupBatch)
		total += n
		if err != nil {
			return total, pgError("delete expired sessions", err)
		}
		if n < cleanupBatch {
			return total, nil
		}
	}
}

// StartCleanup runs DeleteExpired now and then every interval, until ctx is
// done or Close is called. Failures are logged and retried next interval.
// It panics if cleanup is already running.
func (s *PostgresStore) StartCleanup(ctx context.Context, interval time.Duration, log *slog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cleanupDone != nil {
		panic("session: PostgresStore cleanup already started")
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	s.stopCleanup, s.cleanupDone = cancel, done
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			n, err := s.DeleteExpired(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				log.WarnContext(ctx, "session cleanup failed", "deleted", n, "err", err)
			case n > 0:
				log.DebugContext(ctx, "session cleanup", "deleted", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// Close stops the cleanup started by StartCleanup and waits for it to
// finish. It does not close the pool, which the caller owns.
func (s *PostgresStore) Close() {
	s.mu.Lock()
	stop, done := s.stopCleanup, s.cleanupDone
	s.stopCleanup, s.cleanupDone = nil, nil
	s.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// Find, Commit and Delete satisfy scs.Store; scs calls the Ctx variants, so
// these refuse rather than run without the request's context.

// Find implements scs.Store. It always fails: use FindCtx.
func (s *PostgresStore) Find(string) ([]byte, bool, error) { return nil, false, errNoContext }

// Commit implements scs.Store. It always fails: use CommitCtx.
func (s *PostgresStore) Commit(string, []byte, time.Time) error { return errNoContext }

// Delete implements scs.Store. It always fails: use DeleteCtx.
func (s *PostgresStore) Delete(string) error { return errNoContext }

var errNoContext = errors.New("session: store called without a context; use the Ctx methods")

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
