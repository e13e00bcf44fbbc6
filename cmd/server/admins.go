package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/identity"
)

// admins runs the operators' platform-admin commands, as the runtime role,
// like serve (issue 10). They are the only way to make a platform admin:
// nothing in the API can.
//
//   - `admins grant EMAIL`: the user becomes a platform admin from their
//     next request on (the /api/admin routes, and tenant-scoped requests
//     with an X-Admin-Reason header).
//   - `admins revoke EMAIL`: the user is an ordinary user again from
//     their next request on.
func admins(ctx context.Context, cfg config, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) != 2 || (args[0] != "grant" && args[0] != "revoke") {
		return fmt.Errorf("usage: server admins grant|revoke EMAIL")
	}
	if err := requireURL("APP_DATABASE_URL", cfg.AppDatabaseURL); err != nil {
		return err
	}
	pool, err := database.Open(ctx, cfg.AppDatabaseURL, database.PoolConfig{MaxConns: 2, AppName: "tenantkit-admin"})
	if err != nil {
		return fmt.Errorf("APP_DATABASE_URL: %w", err)
	}
	defer pool.Close()
	// No sessions are touched, so identity alone will do.
	ident, err := identity.New(pool, identity.Config{Logger: log})
	if err != nil {
		return err
	}
	email := args[1]
	if args[0] == "grant" {
		u, err := ident.GrantPlatformAdmin(ctx, email)
		if err != nil {
			return fmt.Errorf("grant %q: %w", email, err)
		}
		fmt.Fprintf(stdout, "user %s (%s) is a platform admin\n", u.ID, u.Email)
		if u.Disabled {
			fmt.Fprintf(stdout, "note: the user is disabled, and counts as a platform admin only once enabled\n")
		}
		return nil
	}
	u, was, err := ident.RevokePlatformAdmin(ctx, email)
	if err != nil {
		return fmt.Errorf("revoke %q: %w", email, err)
	}
	if !was {
		fmt.Fprintf(stdout, "user %s (%s) was not a platform admin\n", u.ID, u.Email)
		return nil
	}
	fmt.Fprintf(stdout, "user %s (%s) is no longer a platform admin\n", u.ID, u.Email)
	return nil
}
