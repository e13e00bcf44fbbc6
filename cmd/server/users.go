package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/session"
)

// users runs the operators' user commands, as the runtime role, like serve:
//
//   - `users disable EMAIL`: the user can no longer sign in or act in any
//     tenant, and every session of theirs is revoked, so their very next
//     request is refused. It revokes through the session store its own
//     configuration names, so it refuses to run unless that is the store
//     serve recorded (checkSessionStore).
//   - `users verify EMAIL`: marks the user's address verified, for an
//     operator who confirmed it another way (the mail never arrives).
func users(ctx context.Context, cfg config, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) != 2 || (args[0] != "disable" && args[0] != "verify") {
		return fmt.Errorf("usage: server users disable|verify EMAIL")
	}
	if err := requireURL("APP_DATABASE_URL", cfg.AppDatabaseURL); err != nil {
		return err
	}
	pool, err := database.Open(ctx, cfg.AppDatabaseURL, database.PoolConfig{MaxConns: 2, AppName: "tenantkit-admin"})
	if err != nil {
		return fmt.Errorf("APP_DATABASE_URL: %w", err)
	}
	defer pool.Close()
	if args[0] == "verify" {
		return verifyUser(ctx, pool, args[1], stdout, log)
	}
	if err := checkSessionStore(ctx, cfg, pool); err != nil {
		return err
	}
	store, closeStore, err := newSessionStore(ctx, cfg, pool, nil)
	if err != nil {
		return err
	}
	defer closeStore()
	// The command builds the app as serve does (app.New needs the tenant
	// pool and key too), so disabling runs the same code as in the server.
	if err := errors.Join(requireURL("TENANT_DATABASE_URL", cfg.TenantDatabaseURL), requireKey(cfg.TenantContextKey)); err != nil {
		return err
	}
	tenantPool, err := database.Open(ctx, cfg.TenantDatabaseURL, database.PoolConfig{MaxConns: 2, AppName: "tenantkit-admin"})
	if err != nil {
		return fmt.Errorf("TENANT_DATABASE_URL: %w", err)
	}
	defer tenantPool.Close()
	a, err := app.New(appConfig(cfg, log), app.Deps{Pool: pool, TenantPool: tenantPool, Sessions: store})
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
	fmt.Fprintf(stdout, "disabled user %s (%s) and revoked their sessions (%s)\n", u.ID, u.Email, sessionStoreConfig(cfg))
	return nil
}

// checkSessionStore refuses to go on unless cfg names the session store
// that serve recorded in the database: revoking sessions anywhere else
// would delete none and still claim success.
func checkSessionStore(ctx context.Context, cfg config, pool *pgxpool.Pool) error {
	own := sessionStoreConfig(cfg)
	recorded, at, found, err := session.RecordedStoreConfig(ctx, pool)
	switch {
	case err != nil:
		return fmt.Errorf("refusing to run: cannot read which session store the server uses (run `server migrate up`): %w", err)
	case !found:
		return errors.New("refusing to run: no server has recorded its session store in this database, so this command cannot tell where the sessions it must revoke are; start `server serve` once, then run this with the same SESSION_STORE, REDIS_KEY_PREFIX and REDIS_URL as the server")
	case recorded != own:
		return fmt.Errorf("refusing to run: the server uses %s (recorded %s), but this command has %s and would revoke no session; run it with the server's SESSION_STORE, REDIS_KEY_PREFIX and REDIS_URL",
			recorded, at.UTC().Format(time.RFC3339), own)
	}
	return nil
}

// verifyUser is `users verify EMAIL`.
func verifyUser(ctx context.Context, pool *pgxpool.Pool, email string, stdout io.Writer, log *slog.Logger) error {
	// No sessions are touched, so identity alone will do: no app, no
	// session store.
	ident, err := identity.New(pool, identity.Config{Logger: log})
	if err != nil {
		return err
	}
	u, err := ident.UserByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("verify %q: %w", email, err)
	}
	if err := ident.MarkEmailVerified(ctx, u.ID); err != nil {
		return fmt.Errorf("verify %q: %w", email, err)
	}
	fmt.Fprintf(stdout, "marked the address of user %s (%s) verified\n", u.ID, u.Email)
	return nil
}
