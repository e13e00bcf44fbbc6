package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/database"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/observe"
	"github.com/tenantkit/tenantkit/internal/session"
)

// serve runs the HTTP server until ctx ends, then drains in-flight
// requests. With WORKERS=inprocess it also runs the job workers.
func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	// One registry for the whole server, served on ADMIN_ADDR only.
	reg := observe.NewRegistry()
	a, closeApp, err := openApp(ctx, cfg, log, reg, cfg.Workers == "inprocess")
	if err != nil {
		return err
	}
	defer closeApp()
	if err := a.Tenancy.CheckContext(ctx); err != nil {
		return fmt.Errorf("refusing to serve: %w", err)
	}
	if cfg.Workers == "inprocess" {
		stopJobs, err := startJobs(ctx, a, cfg, log)
		if err != nil {
			return err
		}
		defer stopJobs()
	}
	// Caller's cache answers only while the change notifications flow.
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		a.Identity.WatchChanges(watchCtx)
	}()
	defer func() { stopWatch(); <-watched }()
	srv := a.Server

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
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String(), "session_store", sessionStoreConfig(cfg).String())
	// After the public listener, so that a clash between the two
	// addresses is reported as ADMIN_ADDR's.
	stopAdmin, err := startAdmin(ctx, cfg, reg, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopAdmin()

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

// appConfig is the app's part of the configuration.
func appConfig(cfg config, log *slog.Logger) app.Config {
	return app.Config{
		Logger:         log,
		HTTPS:          cfg.BaseURL.Scheme == "https",
		TrustedProxies: cfg.TrustedProxies,
		RequestTimeout: cfg.RequestTimeout,
		RateLimits: httpapi.RateLimits{
			AuthPerIP: cfg.AuthPerIP, LoginPerAccount: cfg.LoginPerAccount,
			LoginSlowAfter: cfg.LoginSlowAfter, LoginMaxDelay: cfg.LoginMaxDelay,
			MailPerAddress: cfg.MailPerAddress,
		},
		SignupMode:           cfg.SignupMode,
		ReauthWindow:         cfg.ReauthWindow,
		AllowUnverifiedEmail: !cfg.RequireVerifiedEmail,
		Product:              cfg.ProductName,
		BaseURL:              strings.TrimSuffix(cfg.BaseURL.String(), "/"),
		AllowedHosts:         cfg.AllowedHosts,
		SessionIdleTimeout:   cfg.SessionIdle,
		SessionLifetime:      cfg.SessionLifetime,
		SessionTouchInterval: cfg.SessionTouch,
		CallerCacheTTL:       cmp.Or(cfg.CallerCacheTTL, -1), // 0 is off here, the default in app
		TenantSources:        cfg.TenantSources,
		TenantBaseDomain:     cfg.TenantBaseDomain,
		MinPasswordLength:    cfg.MinPasswordLen,
		TenantContextKey:     cfg.TenantContextKey,
		AccessLogDrop:        1 - cfg.AccessLogSample,
	}
}

// newSessionStore builds the store SESSION_STORE names. With reg, the
// Redis client's pool statistics are registered there. The Postgres
// store's expired sessions are deleted by a periodic job (see app).
func newSessionStore(ctx context.Context, cfg config, pool *pgxpool.Pool, reg prometheus.Registerer) (session.Store, func(), error) {
	switch cfg.SessionStore {
	case "redis":
		if cfg.RedisKeyPrefix == "" {
			return nil, nil, fmt.Errorf("REDIS_KEY_PREFIX: required when APP_DATABASE_URL does not name the database")
		}
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
		if reg != nil {
			if err := reg.Register(observe.NewRedisPoolCollector(client)); err != nil {
				client.Close()
				return nil, nil, fmt.Errorf("metrics: %w", err)
			}
		}
		return session.NewRedisStore(client, cfg.RedisKeyPrefix), func() { client.Close() }, nil
	default:
		return session.NewPostgresStore(pool), func() {}, nil
	}
}

// sessionStoreConfig is the session store cfg names, as serve records it
// and `users disable` checks it.
func sessionStoreConfig(cfg config) session.StoreConfig {
	if cfg.SessionStore == "redis" {
		return session.StoreConfig{Kind: "redis", RedisPrefix: cfg.RedisKeyPrefix}
	}
	return session.StoreConfig{Kind: cfg.SessionStore}
}

// acceptLargeObjects returns err, unless it is only that large objects are
// open (database.ErrLargeObjectsOpen) and ALLOW_LARGE_OBJECTS accepts that:
// then it logs a warning and returns nil. The role checks make that refusal
// last, so every other check has passed.
func acceptLargeObjects(err error, cfg config, log *slog.Logger) error {
	if err == nil || !cfg.AllowLargeObjects || !errors.Is(err, database.ErrLargeObjectsOpen) {
		return err
	}
	log.Warn("serving with large objects open (ALLOW_LARGE_OBJECTS=true)", "reason", err.Error())
	return nil
}
