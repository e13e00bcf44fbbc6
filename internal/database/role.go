package database

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrUnsafeRole means the runtime role would bypass row-level security.
var ErrUnsafeRole = errors.New("unsafe runtime database role")

// RoleReport describes the connected role as far as RLS is concerned.
type RoleReport struct {
	Name      string
	Superuser bool
	BypassRLS bool
	// OwnsRLSTables lists RLS tables the role owns or may act as owner of.
	OwnsRLSTables []string
	// UnsafeMemberOf lists roles it may SET ROLE to that are superusers or
	// have BYPASSRLS (the tenant role included).
	UnsafeMemberOf []string
	// ReachesTenant: a member of the tenant role (it may SET ROLE to it, or
	// has its rights outright).
	ReachesTenant bool
	// InApp: it has the runtime group's rights.
	InApp bool
}

// InspectRole reports on the role the pool connects as; roles are the
// deployment's.
func InspectRole(ctx context.Context, pool *pgxpool.Pool, roles Roles) (RoleReport, error) {
	var r RoleReport
	err := pool.QueryRow(ctx, `
SELECT r.rolname, r.rolsuper, r.rolbypassrls,
       coalesce((SELECT array_agg(c.oid::regclass::text ORDER BY c.oid::regclass::text)
                 FROM pg_class c
                 WHERE c.relrowsecurity AND c.relkind IN ('r', 'p')
                   AND pg_has_role(r.oid, c.relowner, 'MEMBER')), '{}'),
       coalesce((SELECT array_agg(o.rolname ORDER BY o.rolname)
                 FROM pg_roles o
                 WHERE o.oid <> r.oid AND (o.rolsuper OR o.rolbypassrls)
                   AND pg_has_role(r.oid, o.oid, 'MEMBER')), '{}'),
       coalesce((SELECT pg_has_role(r.oid, t.oid, 'MEMBER') FROM pg_roles t WHERE t.rolname = $1), false),
       coalesce((SELECT pg_has_role(r.oid, a.oid, 'USAGE') FROM pg_roles a WHERE a.rolname = $2), false)
FROM pg_roles r
WHERE r.rolname = current_user`, roles.Tenant, roles.App).Scan(&r.Name, &r.Superuser, &r.BypassRLS, &r.OwnsRLSTables,
		&r.UnsafeMemberOf, &r.ReachesTenant, &r.InApp)
	if err != nil {
		return RoleReport{}, fmt.Errorf("inspect database role: %w", err)
	}
	return r, nil
}

// CheckRuntimeRole returns ErrUnsafeRole, with what to do about it, when the
// pool's role is a superuser, has BYPASSRLS, owns a table with RLS, may
// switch to a role that bypasses RLS, or may act as the tenant role; when
// it or a role it may SET ROLE to reaches past the database (CREATEROLE,
// REPLICATION, CREATEDB, pg_execute_server_program and the other
// serverRights); when it or the tenant role may use large objects; and when
// the database was not migrated for roles or the role is not roles.App's
// member.
func CheckRuntimeRole(ctx context.Context, pool *pgxpool.Pool, roles Roles) error {
	r, err := InspectRole(ctx, pool, roles)
	if err != nil {
		return err
	}
	switch {
	case r.Superuser:
		return fmt.Errorf("%w: role %q is a superuser, which bypasses row-level security; "+
			"point APP_DATABASE_URL at a plain login role (`server migrate up` creates one named after its user)", ErrUnsafeRole, r.Name)
	case r.BypassRLS:
		return fmt.Errorf("%w: role %q has BYPASSRLS; run ALTER ROLE %s NOBYPASSRLS or use another role in APP_DATABASE_URL",
			ErrUnsafeRole, r.Name, pgx.Identifier{r.Name}.Sanitize())
	case len(r.OwnsRLSTables) > 0:
		return fmt.Errorf("%w: role %q owns (or may act as the owner of) RLS tables %v, and owners bypass RLS; "+
			"run migrations as a separate owner role (DATABASE_URL) and serve as another role (APP_DATABASE_URL)",
			ErrUnsafeRole, r.Name, r.OwnsRLSTables)
	case len(r.UnsafeMemberOf) > 0:
		return fmt.Errorf("%w: role %q may SET ROLE to %v, which are superusers or have BYPASSRLS; revoke those memberships",
			ErrUnsafeRole, r.Name, r.UnsafeMemberOf)
	case r.ReachesTenant:
		return fmt.Errorf("%w: role %q may act as %s; tenant transactions run on TENANT_DATABASE_URL's role, and the runtime "+
			"role must not reach tenant tables: REVOKE %s FROM %s (`server migrate up` does it for %s)",
			ErrUnsafeRole, r.Name, roles.Tenant, roles.Tenant, pgx.Identifier{r.Name}.Sanitize(), roles.App)
	}
	if err := refuseServerRights(ctx, pool); err != nil {
		return err
	}
	if err := checkMigratedFor(ctx, pool, roles.App, "users"); err != nil {
		return err
	}
	if !r.InApp {
		return fmt.Errorf("%w: APP_DATABASE_URL role %q is not a member of %s; run `server migrate up` (it grants it)",
			ErrUnsafeRole, r.Name, roles.App)
	}
	// Last, so that a caller that accepts open large objects
	// (ErrLargeObjectsOpen) has had every other check.
	return refuseLargeObjects(ctx, pool, r.Name, roles.Tenant)
}

// ensureLogin creates the plain login role name with password if it does
// not exist, or sets its password when one is given. Role names and
// passwords cannot be bind parameters in DDL; format() quotes them on the
// server with %I and %L.
func ensureLogin(ctx context.Context, tx pgx.Tx, name, password string, exists bool) error {
	var stmt string
	var err error
	switch {
	case !exists:
		err = tx.QueryRow(ctx, `SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT', $1::text)
		                        || CASE WHEN $2::text = '' THEN '' ELSE format(' PASSWORD %L', $2::text) END`, name, password).Scan(&stmt)
	case password != "":
		err = tx.QueryRow(ctx, `SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)`, name, password).Scan(&stmt)
	}
	if err != nil || stmt == "" {
		return err
	}
	_, err = tx.Exec(ctx, stmt)
	return err
}

// EnsureRuntimeRole creates the login role named by appURL's user if it is
// missing (or updates its password), makes it a member of roles.App,
// and makes it the only non-owner role that may connect to the database. It
// runs as the owner, after the migrations, and is idempotent.
func EnsureRuntimeRole(ctx context.Context, owner *pgxpool.Pool, appURL string, roles Roles) (string, error) {
	cfg, err := pgx.ParseConfig(appURL)
	if err != nil {
		return "", errors.New("APP_DATABASE_URL: invalid connection string")
	}
	name, password := cfg.User, cfg.Password
	if name == "" {
		return "", errors.New("APP_DATABASE_URL: names no user")
	}
	if err := roles.notGroup("APP_DATABASE_URL", name); err != nil {
		return "", err
	}

	tx, err := owner.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("ensure runtime role: %w", err)
	}
	defer tx.Rollback(ctx)

	var exists, super, bypass, isOwner bool
	err = tx.QueryRow(ctx, `
SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1),
       coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = $1), false),
       coalesce((SELECT rolbypassrls FROM pg_roles WHERE rolname = $1), false),
       $1 = current_user`, name).Scan(&exists, &super, &bypass, &isOwner)
	if err != nil {
		return "", fmt.Errorf("ensure runtime role: %w", err)
	}
	if isOwner || super || bypass {
		return "", fmt.Errorf("%w: APP_DATABASE_URL user %q is the migration owner, a superuser or has BYPASSRLS; "+
			"give the runtime a role of its own (for example app)", ErrUnsafeRole, name)
	}

	if err := ensureLogin(ctx, tx, name, password, exists); err != nil {
		return "", fmt.Errorf("ensure runtime role %q: %w", name, err)
	}
	grant := fmt.Sprintf("GRANT %s TO %s", pgx.Identifier{roles.App}.Sanitize(), pgx.Identifier{name}.Sanitize())
	if _, err := tx.Exec(ctx, grant); err != nil {
		return "", fmt.Errorf("grant %s to %q: %w", roles.App, name, err)
	}
	// Roles are cluster-wide: a runtime role of another database on the same
	// cluster (staging next to production, a test role) is a member of the
	// same group. Only this database's runtime role may connect to it.
	if _, err := tx.Exec(ctx, `
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$`); err != nil {
		return "", fmt.Errorf("revoke connect from public: %w", err)
	}
	var grantConnect string
	if err := tx.QueryRow(ctx, `SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), $1::text)`, name).Scan(&grantConnect); err != nil {
		return "", fmt.Errorf("grant connect: %w", err)
	}
	if _, err := tx.Exec(ctx, grantConnect); err != nil {
		return "", fmt.Errorf("grant connect to %q: %w", name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("ensure runtime role: %w", err)
	}
	return name, nil
}
