package database

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultAcquireTimeout is how long a request waits for a pooled
// connection before it is answered 503: long enough to ride out a burst,
// short enough that a saturated pool sheds load instead of queueing without
// limit. The tenant transaction and the Postgres session store use it.
const DefaultAcquireTimeout = 2 * time.Second

// PoolConfig bounds the work one connection may do.
type PoolConfig struct {
	MaxConns         int32
	StatementTimeout time.Duration // server-side cap on one statement
	IdleInTxTimeout  time.Duration // server-side cap on an idle open transaction
	AppName          string
}

// Open connects a pool to url and pings it. The timeouts are sent as
// connection parameters, so they hold for every statement on every
// connection, including ones a bug forgets to bound.
func Open(ctx context.Context, url string, pc PoolConfig) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error can echo the password; name the problem only.
		return nil, errors.New("parse database url: invalid connection string")
	}
	if pc.MaxConns > 0 {
		cfg.MaxConns = pc.MaxConns
	}
	rp := cfg.ConnConfig.RuntimeParams
	if pc.StatementTimeout > 0 {
		rp["statement_timeout"] = strconv.FormatInt(pc.StatementTimeout.Milliseconds(), 10)
	}
	if pc.IdleInTxTimeout > 0 {
		rp["idle_in_transaction_session_timeout"] = strconv.FormatInt(pc.IdleInTxTimeout.Milliseconds(), 10)
	}
	if pc.AppName != "" {
		rp["application_name"] = pc.AppName
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return pool, nil
}

// IsUnavailable reports whether err means the database could not be reached
// or did not answer in time (as opposed to rejecting a query), so callers
// can answer 503 instead of 500.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if pgconn.Timeout(err) || pgconn.SafeToRetry(err) {
		return true
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch pgErr.Code {
		case "57014", // query_canceled (statement_timeout)
			"57P01", "57P02", "57P03", // admin/crash shutdown, cannot connect now
			"53300": // too_many_connections
			return true
		}
		return false
	}
	// Anything else from the driver below the protocol level (a reset
	// connection, a closed pool) is an outage, not a bad query.
	var netErr interface{ Timeout() bool }
	return errors.As(err, &netErr)
}
