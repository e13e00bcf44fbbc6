package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tenantkit/tenantkit/internal/database"
)

// migrate runs `migrate up|down|status` as the owner role (DATABASE_URL).
// `up` also creates the database if it is missing and the runtime login role
// named in APP_DATABASE_URL, and grants it the runtime privileges.
func migrate(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: server migrate up|down|status")
	}
	if err := requireURL("DATABASE_URL", cfg.DatabaseURL); err != nil {
		return err
	}
	action := args[0]
	switch action {
	case "up":
		if err := errors.Join(requireURL("APP_DATABASE_URL", cfg.AppDatabaseURL),
			requireURL("TENANT_DATABASE_URL", cfg.TenantDatabaseURL), requireKey(cfg.TenantContextKey)); err != nil {
			return err
		}
		created, err := database.EnsureDatabase(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintln(stdout, "created the database")
		}
	case "down", "status":
	default:
		return fmt.Errorf("usage: server migrate up|down|status (got %q)", action)
	}

	if err := requireRoles(cfg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deployment roles: %s, %s\n", cfg.Roles.App, cfg.Roles.Tenant)
	m, err := database.NewMigrator(cfg.DatabaseURL, cfg.Roles)
	if err != nil {
		return err
	}
	defer m.Close()
	switch action {
	case "down":
		return m.Down(ctx, stdout)
	case "status":
		return m.Status(ctx, stdout)
	}
	if err := m.Up(ctx, stdout); err != nil {
		return err
	}
	owner, err := database.Open(ctx, cfg.DatabaseURL, database.PoolConfig{MaxConns: 2, AppName: "tenantkit-migrate"})
	if err != nil {
		return err
	}
	defer owner.Close()
	role, err := database.EnsureRuntimeRole(ctx, owner, cfg.AppDatabaseURL, cfg.Roles)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "runtime role %q is ready\n", role)
	tenantRole, err := database.EnsureTenantRole(ctx, owner, cfg.TenantDatabaseURL, cfg.Roles)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tenant role %q is ready\n", tenantRole)
	if err := database.StoreContextKey(ctx, owner, cfg.TenantContextKey); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "tenant context key is stored")
	return nil
}
