package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/database"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/mail"
	"github.com/tenantkit/tenantkit/internal/observe"
	"github.com/tenantkit/tenantkit/internal/session"
)

// openApp connects and checks everything the app runs on, as serve and
// worker both need it, and builds the app. sends: this process works jobs,
// so it needs MAIL_URL. The returned func closes what it opened.
func openApp(ctx context.Context, cfg config, log *slog.Logger, reg prometheus.Registerer, sends bool) (_ *app.App, _ func(), err error) {
	if err := errors.Join(requireURL("APP_DATABASE_URL", cfg.AppDatabaseURL),
		requireURL("TENANT_DATABASE_URL", cfg.TenantDatabaseURL), requireKey(cfg.TenantContextKey), requireRoles(cfg)); err != nil {
		return nil, nil, err
	}
	var closers []func()
	closeAll := func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	var sender *mail.Sender
	if sends {
		if cfg.MailURL == "" {
			return nil, nil, errors.New("MAIL_URL: required where the job workers run (WORKERS=inprocess, the default, or `server worker`): " +
				"smtp://user:pass@host:port or smtps://…; `make run` starts a local inbox and sets it")
		}
		if sender, err = mail.NewSender(cfg.MailURL, cfg.MailFrom); err != nil {
			return nil, nil, err
		}
	}

	pool, err := database.Open(ctx, cfg.AppDatabaseURL, database.PoolConfig{
		MaxConns:         cfg.DBMaxConns,
		StatementTimeout: cfg.StatementTimeout,
		IdleInTxTimeout:  2 * cfg.RequestTimeout,
		AppName:          "tenantkit",
	})
	if err != nil {
		return nil, nil, fmt.Errorf("APP_DATABASE_URL: %w", err)
	}
	closers = append(closers, pool.Close)
	if err := acceptLargeObjects(database.CheckRuntimeRole(ctx, pool, cfg.Roles), cfg, log); err != nil {
		return nil, nil, fmt.Errorf("refusing to serve: APP_DATABASE_URL: %w", err)
	}
	// Tenant transactions run on a login role of their own, which reaches
	// tenant tables under RLS and nothing else.
	tenantPool, err := database.Open(ctx, cfg.TenantDatabaseURL, database.PoolConfig{
		MaxConns:         cfg.DBMaxConns,
		StatementTimeout: cfg.StatementTimeout,
		IdleInTxTimeout:  2 * cfg.RequestTimeout,
		AppName:          "tenantkit-tenant",
	})
	if err != nil {
		return nil, nil, fmt.Errorf("TENANT_DATABASE_URL: %w", err)
	}
	closers = append(closers, tenantPool.Close)
	if err := acceptLargeObjects(database.CheckTenantRole(ctx, tenantPool, cfg.Roles), cfg, log); err != nil {
		return nil, nil, fmt.Errorf("refusing to serve: %w", err)
	}
	if err := database.CheckConnect(ctx, pool, pool.Config().ConnConfig.User, tenantPool.Config().ConnConfig.User); err != nil {
		return nil, nil, fmt.Errorf("refusing to serve: %w", err)
	}

	store, closeStore, err := newSessionStore(ctx, cfg, pool, reg)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, closeStore)
	// `users disable` revokes sessions from outside the server: it checks
	// its own store against this record and refuses to run on another one.
	if err := session.RecordStoreConfig(ctx, pool, sessionStoreConfig(cfg)); err != nil {
		return nil, nil, fmt.Errorf("refusing to serve: cannot record the session store in the database (run `server migrate up`): %w", err)
	}
	var checks []httpapi.Check
	if cfg.SessionStore == "redis" {
		checks = append(checks, httpapi.Check{Name: "redis", Check: store.Ping})
	}
	acfg := appConfig(cfg, log)
	acfg.Registry = reg
	deps := app.Deps{Pool: pool, TenantPool: tenantPool, Sessions: store, ReadyChecks: checks}
	if sender != nil {
		deps.Mail = sender
	}
	a, err := app.New(acfg, deps)
	if err != nil {
		return nil, nil, err
	}
	return a, closeAll, nil
}

// startJobs starts a's job workers; the returned func stops them, giving
// running jobs up to ShutdownTimeout to finish.
func startJobs(ctx context.Context, a *app.App, cfg config, log *slog.Logger) (func(), error) {
	if err := a.Jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("start the job workers: %w", err)
	}
	log.Info("job workers running")
	return func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := a.Jobs.Stop(stopCtx); err != nil {
			log.Warn("job workers: stop", "err", err)
		}
	}, nil
}

// worker runs the job workers (and the periodic cleanups) without serving
// HTTP, until ctx ends: `server worker`, beside servers with WORKERS=off.
// ADMIN_ADDR serves its metrics and pprof.
func worker(ctx context.Context, cfg config, log *slog.Logger) error {
	reg := observe.NewRegistry()
	a, closeApp, err := openApp(ctx, cfg, log, reg, true)
	if err != nil {
		return err
	}
	defer closeApp()
	stopAdmin, err := startAdmin(ctx, cfg, reg, log)
	if err != nil {
		return err
	}
	defer stopAdmin()
	stopJobs, err := startJobs(ctx, a, cfg, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down: stopping the job workers", "timeout", cfg.ShutdownTimeout.String())
	stopJobs()
	log.Info("stopped")
	return nil
}
