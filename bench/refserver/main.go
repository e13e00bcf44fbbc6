// Command refserver is the benchmark baseline that scripts/load measures
// tenantkit against; it is not product code and nothing imports it.
//
// It answers GET /api/me and GET /api/projects (the first page, 20 rows) with
// the JSON tenantkit returns, for the session cookie tenantkit issued, on the
// same database and session store, and does the same security work in the
// fewest round trips:
//
//   - /api/me, sessions in Postgres: one query joins the live session, its
//     enabled user, and the session's current tenant and role when the user
//     is still a member.
//   - /api/me, sessions in Redis: one GET of the session record, then one
//     query for the user, tenant and role.
//   - /api/projects: the session lookup (one query or one GET), then one
//     pipelined batch on the tenant login role: BEGIN, app.tenant_id and its
//     signature app.tenant_sig for this connection's backend pid, one
//     membership-checked SELECT under RLS, COMMIT.
//
// The tenant is the session's current one (PUT /api/me/tenant); X-Tenant and
// /api/t/{tenant} are not read. There is no logging, middleware, rate
// limiting or configuration checking: the point is to show what the machine
// can do for these two requests, not to be a server anyone runs.
//
// It reads tenantkit's variables: APP_DATABASE_URL, TENANT_DATABASE_URL,
// TENANT_CONTEXT_KEY, SESSION_STORE, REDIS_URL, REDIS_KEY_PREFIX, HTTP_ADDR
// (default :8081) and DB_MAX_CONNS (default 20, per pool, as tenantkit).
package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "refserver:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	maxConns, err := strconv.Atoi(env("DB_MAX_CONNS", "20"))
	if err != nil || maxConns < 1 {
		return errors.New("DB_MAX_CONNS: want a positive whole number")
	}
	key, err := parseKey(getenv("TENANT_CONTEXT_KEY"))
	if err != nil {
		return fmt.Errorf("TENANT_CONTEXT_KEY: %w", err)
	}
	app, err := openPool(ctx, "APP_DATABASE_URL", getenv("APP_DATABASE_URL"), maxConns)
	if err != nil {
		return err
	}
	defer app.Close()
	tenant, err := openPool(ctx, "TENANT_DATABASE_URL", getenv("TENANT_DATABASE_URL"), maxConns)
	if err != nil {
		return err
	}
	defer tenant.Close()

	s := &server{app: app, tenant: tenant, key: key}
	switch store := env("SESSION_STORE", "postgres"); store {
	case "postgres":
	case "redis":
		opt, err := redis.ParseURL(getenv("REDIS_URL"))
		if err != nil {
			return errors.New("REDIS_URL: want a redis:// URL (a Cluster is not supported here)")
		}
		s.redis = redis.NewClient(opt)
		defer s.redis.Close()
		if err := s.redis.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		// tenantkit's default: after the database APP_DATABASE_URL names.
		s.redisPrefix = env("REDIS_KEY_PREFIX", "tenantkit:"+app.Config().ConnConfig.Database+":")
	default:
		return fmt.Errorf("SESSION_STORE: want postgres or redis, got %q", store)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/me", s.handleMe)
	mux.HandleFunc("GET /api/projects", s.handleProjects)
	hs := &http.Server{Addr: env("HTTP_ADDR", ":8081"), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(shutdownCtx)
}

// openPool connects a pool of at most maxConns connections to url, the
// value of the variable name.
func openPool(ctx context.Context, name, url string, maxConns int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil || url == "" {
		return nil, fmt.Errorf("%s: want a postgres:// connection URL", name)
	}
	cfg.MaxConns = int32(maxConns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return pool, nil
}

// parseKey decodes the tenant context key as tenantkit does: 32 or more
// bytes, in hex or base64.
func parseKey(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		if b, err = base64.StdEncoding.DecodeString(s); err != nil {
			b, err = base64.RawURLEncoding.DecodeString(s)
		}
	}
	if err != nil || len(b) < 32 {
		return nil, errors.New("want 32 or more random bytes as hex or base64 (`openssl rand -hex 32`)")
	}
	return b, nil
}

// server holds the two pools (the runtime role's for sessions and identity,
// the tenant login role's for tenant transactions) and the session store.
type server struct {
	app, tenant *pgxpool.Pool
	key         []byte
	redis       *redis.Client // nil: sessions are in Postgres
	redisPrefix string
}
