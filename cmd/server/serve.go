package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/database"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/projects"
	"github.com/tenantkit/tenantkit/internal/session"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

// serve runs the HTTP server until ctx ends, then drains in-flight requests.
func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	if err := requireURL("APP_DATABASE_URL", cfg.AppDatabaseURL); err != nil {
		return err
	}
	pool, err := database.Open(ctx, cfg.AppDatabaseURL, database.PoolConfig{
		MaxConns:         cfg.DBMaxConns,
		StatementTimeout: cfg.StatementTimeout,
		IdleInTxTimeout:  2 * cfg.RequestTimeout,
		AppName:          "tenantkit",
	})
	if err != nil {
		return fmt.Errorf("APP_DATABASE_URL: %w", err)
	}
	defer pool.Close()
	if err := database.CheckRuntimeRole(ctx, pool); err != nil {
		return fmt.Errorf("refusing to serve: APP_DATABASE_URL: %w", err)
	}

	checks := []httpapi.Check{{Name: "postgres", Check: pool.Ping}}
	store, closeStore, err := newSessionStore(ctx, cfg, pool, log, true)
	if err != nil {
		return err
	}
	defer closeStore()
	if cfg.SessionStore == "redis" {
		checks = append(checks, httpapi.Check{Name: "redis", Check: store.Ping})
	}

	var srv *httpapi.Server
	sessions := session.NewManager(store, session.Config{
		IdleTimeout: cfg.SessionIdle,
		Lifetime:    cfg.SessionLifetime,
		Secure:      cfg.BaseURL.Scheme == "https",
		Logger:      log,
		ErrorFunc:   func(w http.ResponseWriter, r *http.Request, err error) { srv.WriteError(w, r, err) },
	})
	// Disabling a user revokes their sessions, wherever it is done from.
	ident, err := identity.New(pool, identity.Config{MinPasswordLength: cfg.MinPasswordLen, OnDisable: sessions.RevokeAll})
	if err != nil {
		return err
	}

	srv = httpapi.NewServer(httpapi.Config{
		Logger:         log,
		HTTPS:          cfg.BaseURL.Scheme == "https",
		TrustedProxies: cfg.TrustedProxies,
		RequestTimeout: cfg.RequestTimeout,
		RateLimits:     httpapi.RateLimits{AuthPerIP: cfg.AuthPerIP, LoginPerAccount: cfg.LoginPerAccount},
		ReadyChecks:    checks,
		Identity:       ident,
		Sessions:       sessions,
		Tenancy:        tenancy.NewManager(pool, ident, 2*time.Second),
		Resolver:       tenancy.NewResolver(cfg.TenantSources, cfg.TenantBaseDomain, ident),
		Projects:       projects.NewService(),
	})

	hs := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 5*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String(), "session_store", cfg.SessionStore)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Fail readiness first and keep serving for the drain delay, so a load
	// balancer stops routing here before the listener closes.
	srv.Drain()
	if cfg.DrainDelay > 0 {
		log.Info("shutting down: readiness failing, still serving", "drain_delay", cfg.DrainDelay.String())
		time.Sleep(cfg.DrainDelay)
	}
	log.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		// Requests still running past the timeout are cut off, so the
		// deferred pool close does not wait for them forever.
		hs.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// newSessionStore builds the store SESSION_STORE names; cleanup starts the
// Postgres store's background removal of expired sessions.
func newSessionStore(ctx context.Context, cfg config, pool *pgxpool.Pool, log *slog.Logger, cleanup bool) (session.Store, func(), error) {
	switch cfg.SessionStore {
	case "redis":
		client, err := session.NewRedisClient(cfg.RedisURL)
		if err != nil {
			return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := client.Ping(pingCtx).Err(); err != nil {
			client.Close()
			return nil, nil, fmt.Errorf("REDIS_URL: cannot reach redis: %w", err)
		}
		return session.NewRedisStore(client, "tenantkit:"), func() { client.Close() }, nil
	default:
		store := session.NewPostgresStore(pool)
		if cleanup {
			store.StartCleanup(ctx, 5*time.Minute, log)
		}
		return store, store.Close, nil
	}
}
