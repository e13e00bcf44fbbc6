package identity

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// changesChannel is the channel the identity tables' triggers notify on
// (db/migrations/00016_identity_changes.sql): 'u:<user id>' when a user or
// one of their memberships changed, 't:<tenant id>' when a tenant did.
// Sync sends 's:<random>' markers on it.
const changesChannel = "identity_changed"

// How long WatchChanges waits before it connects again: the first retry,
// doubling up to the last.
const (
	watchRetryMin = 100 * time.Millisecond
	watchRetryMax = 5 * time.Second
)

// After watchIdle (Service.watchIdle) without a notification the listener
// checks its connection with a statement that must answer within
// watchPingTimeout: a connection that went half-open (a failover or a NAT
// that dropped it without a reset) would otherwise look alive for as long
// as TCP keepalives take, with the cache on and deaf.
const (
	watchIdle        = 15 * time.Second
	watchPingTimeout = 5 * time.Second
)

// listenerAppName names the listening connection in pg_stat_activity.
const listenerAppName = "tenantkit-identity-changes"

// syncTimeout bounds SyncChanges' wait when its context has no deadline.
const syncTimeout = 30 * time.Second

// WatchChanges keeps Caller's cache coherent with the database until ctx
// ends. It holds a connection of its own (outside the pool, as the pool's
// role) that LISTENs for the change notifications; only while it does
// does Caller answer from memory. When the connection
// fails, the cache empties and stays off, it logs a warning and connects
// again, with backoff.
//
// Run it once per Service, in the process that serves requests. Without
// it Caller reads the database every time, as with
// Config.CallerCacheTTL < 0. A pooler in transaction mode between the
// server and Postgres does not carry LISTEN: turn the cache off there.
func (s *Service) WatchChanges(ctx context.Context) {
	if s.cache == nil {
		<-ctx.Done()
		return
	}
	delay := watchRetryMin
	for ctx.Err() == nil {
		listened, err := s.watchOnce(ctx)
		s.cache.reset(false)
		if ctx.Err() != nil {
			break // stopped: not a failure
		}
		if listened {
			delay = watchRetryMin
		}
		s.cfg.Logger.WarnContext(ctx, "identity: lost the change notifications; the caller cache is off until they are back",
			"err", err, "retry_in", delay.String())
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
		delay = min(2*delay, watchRetryMax)
	}
}

// watchOnce connects, listens and handles notifications until the
// connection fails or ctx ends. listened reports whether it got as far as
// listening (so the cache was live).
func (s *Service) watchOnce(ctx context.Context) (listened bool, err error) {
	cc := s.pool.Config().ConnConfig
	cc.Tracer = nil // the pool's statement tracing is about requests
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	cc.RuntimeParams["application_name"] = listenerAppName
	// The default: an ended context sets a deadline on the socket and
	// leaves the connection usable, which the idle check relies on.
	cc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	// Whatever changed before this point was missed: start empty.
	s.cache.reset(true)
	for {
		waitCtx, cancel := context.WithTimeout(ctx, s.watchIdle)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			s.changed(n.Payload)
		case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
			pingCtx, cancel := context.WithTimeout(ctx, watchPingTimeout)
			_, err := conn.Exec(pingCtx, "SELECT 1")
			cancel()
			if err != nil {
				return true, fmt.Errorf("check the idle connection: %w", err)
			}
		default:
			return true, fmt.Errorf("wait for notification: %w", err)
		}
	}
}

// changed handles one notification's payload. One it cannot read (and '*',
// which a TRUNCATE sends) empties the cache: forgetting too much is only
// slower.
func (s *Service) changed(payload string) {
	kind, rest, _ := strings.Cut(payload, ":")
	switch kind {
	case "s":
		s.cache.arrived(payload)
		return
	case "u", "t":
		id, err := uuid.Parse(rest)
		if err != nil {
			break
		}
		if kind == "u" {
			s.cache.forgetUser(id)
		} else {
			s.cache.forgetTenant(id)
		}
		return
	}
	s.cache.reset(true)
}

// SyncChanges returns once this Service has handled the notification of
// every identity change committed before it was called, so that Caller
// no longer answers with what those changes replaced. Identity's own
// changes need no Sync (they forget what they change as they commit):
// it is for tests and tools that change the tables behind identity's
// back. It costs one statement, and does not wait when nothing is cached
// (no cache, or not listening).
func (s *Service) SyncChanges(ctx context.Context) error {
	if s.cache == nil {
		return nil
	}
	// Notifications arrive in commit order: the marker comes after every
	// change that committed before it was sent.
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, syncTimeout)
		defer cancel()
	}
	marker := "s:" + rand.Text()
	arrived, done := s.cache.wait(marker)
	defer done()
	if _, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", changesChannel, marker); err != nil {
		return fmt.Errorf("identity: sync changes: %w", err)
	}
	select {
	case <-arrived:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("identity: sync changes: %w", ctx.Err())
	}
}

// forgetUser and forgetTenant drop what Caller cached about a user or a
// tenant. Identity's writes call them once their change has committed, so
// the writer's next request reads the change even before its notification
// arrives.
func (s *Service) forgetUser(id uuid.UUID) {
	if s.cache != nil {
		s.cache.forgetUser(id)
	}
}

func (s *Service) forgetTenant(id uuid.UUID) {
	if s.cache != nil {
		s.cache.forgetTenant(id)
	}
}
