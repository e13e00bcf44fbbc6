package database_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// TestDeploymentsShareNothing: two deployments on one cluster, the test
// databases' (A) and one migrated here with a role prefix of its own (B).
// Even with CONNECT open to everyone on B's database, A's runtime and
// tenant login roles reach none of its tables or functions, and serve's
// checks refuse B's roles for A's prefix, naming B's role.
func TestDeploymentsShareNothing(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	prefix := "tk_other_" + strings.ToLower(rand.Text()[:10])
	roles, err := database.RolesFor(prefix)
	if err != nil {
		t.Fatal(err)
	}
	login, tenantLogin := prefix+"_login", prefix+"_scoped"
	b := newDeployment(t, d, prefix, roles, login, tenantLogin)

	// Whatever happened to CONNECT (a restore, a hand-made grant):
	if _, err := b.Exec(ctx, "GRANT CONNECT ON DATABASE "+prefix+" TO PUBLIC"); err != nil {
		t.Fatal(err)
	}
	probes := []string{
		"SELECT count(*) FROM users",
		"SELECT count(*) FROM password_credentials",
		"SELECT count(*) FROM sessions",
		"INSERT INTO sessions (token_hash, data, expires_at) VALUES (sha256('x'), '', now())",
		"SELECT count(*) FROM tenants",
		"SELECT count(*) FROM memberships",
		"SELECT count(*) FROM projects",
		"SELECT app.current_tenant_id()",
	}
	for _, role := range []string{dbtest.RuntimeRole, dbtest.TenantLoginRole} {
		conn, err := pgx.Connect(ctx, withRole(t, d.OwnerURL, prefix, role))
		if err != nil {
			t.Fatalf("%s connects to B (CONNECT is open): %v", role, err)
		}
		for _, sql := range probes {
			_, err := conn.Exec(ctx, sql)
			if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.Code != "42501" {
				t.Errorf("A's %s in B's database: %s: got %v, want insufficient_privilege", role, sql, err)
			}
		}
		conn.Close(ctx)
	}

	// B's own runtime role reads them: the denials above are about whose
	// database it is, not a broken set-up.
	bApp, err := database.Open(ctx, withRole(t, d.OwnerURL, prefix, login), database.PoolConfig{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer bApp.Close()
	if _, err := bApp.Exec(ctx, "SELECT count(*) FROM users"); err != nil {
		t.Errorf("B's runtime role: %v", err)
	}
	bTenant, err := database.Open(ctx, withRole(t, d.OwnerURL, prefix, tenantLogin), database.PoolConfig{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer bTenant.Close()

	if err := database.CheckRuntimeRole(ctx, bApp, roles); err != nil {
		t.Errorf("B's runtime role for B's roles: %v", err)
	}
	if err := database.CheckTenantRole(ctx, bTenant, roles); err != nil {
		t.Errorf("B's tenant role for B's roles: %v", err)
	}
	// Serving B's database with A's prefix (a restored dump, a wrong
	// DATABASE_ROLE_PREFIX) is refused, naming the roles it is granted to.
	for name, check := range map[string]func() error{
		"runtime": func() error { return database.CheckRuntimeRole(ctx, bApp, dbtest.Roles) },
		"tenant":  func() error { return database.CheckTenantRole(ctx, bTenant, dbtest.Roles) },
	} {
		err := check()
		if !errors.Is(err, database.ErrUnsafeRole) || !strings.Contains(err.Error(), prefix) ||
			!strings.Contains(err.Error(), "DATABASE_ROLE_PREFIX") {
			t.Errorf("%s role of B checked for A's roles: got %v, want ErrUnsafeRole naming %s_* and DATABASE_ROLE_PREFIX", name, err, prefix)
		}
	}
}

// TestMigrationRefusesATakenRoleName: a login role that already holds a
// deployment group's name is someone else's; the first migration stops
// instead of taking it over.
func TestMigrationRefusesATakenRoleName(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	prefix := "tk_clash_" + strings.ToLower(rand.Text()[:10])
	roles, err := database.RolesFor(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Owner.Exec(ctx, "CREATE ROLE "+roles.App+" LOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = d.Owner.Exec(context.Background(), "DROP ROLE IF EXISTS "+roles.App) })
	createDatabase(t, d, prefix, roles)
	err = migrate(t, withRole(t, d.OwnerURL, prefix, ""), roles)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || !strings.Contains(pgErr.Hint, "DATABASE_ROLE_PREFIX") {
		t.Fatalf("got %v, want the migration to stop with a hint naming DATABASE_ROLE_PREFIX", err)
	}
	var canLogin bool
	if err := d.Owner.QueryRow(ctx, "SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", roles.App).Scan(&canLogin); err != nil || !canLogin {
		t.Errorf("the existing role was changed: can log in = %v, %v", canLogin, err)
	}
}

// newDeployment creates a database named prefix, migrates it for roles and
// sets up its login roles and key, as `server migrate up` does; everything
// goes when the test ends. It returns an owner connection to it.
func newDeployment(t *testing.T, d *dbtest.DB, prefix string, roles database.Roles, login, tenantLogin string) *pgx.Conn {
	t.Helper()
	ctx := t.Context()
	createDatabase(t, d, prefix, roles, login, tenantLogin)
	ownerURL := withRole(t, d.OwnerURL, prefix, "")
	if err := migrate(t, ownerURL, roles); err != nil {
		t.Fatal(err)
	}
	owner, err := database.Open(ctx, ownerURL, database.PoolConfig{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	if _, err := database.EnsureRuntimeRole(ctx, owner, withRole(t, d.OwnerURL, prefix, login), roles); err != nil {
		t.Fatal(err)
	}
	if _, err := database.EnsureTenantRole(ctx, owner, withRole(t, d.OwnerURL, prefix, tenantLogin), roles); err != nil {
		t.Fatal(err)
	}
	if err := database.StoreContextKey(ctx, owner, d.Key); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// createDatabase creates the database name and, when the test ends, drops
// it and then the roles (a role goes only once nothing is granted to it).
func createDatabase(t *testing.T, d *dbtest.DB, name string, roles database.Roles, logins ...string) {
	t.Helper()
	if _, err := d.Owner.Exec(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if _, err := d.Owner.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		for _, r := range append(logins, roles.App, roles.Tenant) {
			if _, err := d.Owner.Exec(ctx, "DROP ROLE IF EXISTS "+r); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
}

// migrate runs the migrations for roles, holding the tests' migration lock.
func migrate(t *testing.T, ownerURL string, roles database.Roles) error {
	t.Helper()
	dbtest.LockMigrations(t)
	m, err := database.NewMigrator(ownerURL, roles)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Up(t.Context(), io.Discard)
}

// withRole is base pointed at database name as role (base's own user when
// role is "").
func withRole(t *testing.T, base, name, role string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	if role != "" {
		u.User = url.User(role)
	}
	return u.String()
}
