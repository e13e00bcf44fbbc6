package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/database"
)

// users runs `users disable EMAIL`: the user can no longer sign in or act in
// any tenant, and every session of theirs is revoked, so their very next
// request is refused. It connects as the runtime role, like serve.
func users(ctx context.Context, cfg config, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) != 2 || args[0] != "disable" {
		return fmt.Errorf("usage: server users disable EMAIL")
	}
	if err := requireURL("APP_DATABASE_URL", cfg.AppDatabaseURL); err != nil {
		return err
	}
	pool, err := database.Open(ctx, cfg.AppDatabaseURL, database.PoolConfig{MaxConns: 2, AppName: "tenantkit-admin"})
	if err != nil {
		return fmt.Errorf("APP_DATABASE_URL: %w", err)
	}
	defer pool.Close()
	store, closeStore, err := newSessionStore(ctx, cfg, pool, log, false)
	if err != nil {
		return err
	}
	defer closeStore()
	a, err := app.New(appConfig(cfg, log), app.Deps{Pool: pool, Sessions: store})
	if err != nil {
		return err
	}
	ident := a.Identity
	u, err := ident.UserByEmail(ctx, args[1])
	if err != nil {
		return fmt.Errorf("disable %q: %w", args[1], err)
	}
	// Disabling commits first (a racing login is refused from then on),
	// then OnDisable revokes every session created before. Safe to re-run.
	if err := ident.DisableUser(ctx, u.ID); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "disabled user %s (%s) and revoked their sessions\n", u.ID, u.Email)
	return nil
}
