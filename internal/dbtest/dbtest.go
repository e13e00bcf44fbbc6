// Package dbtest gives each test package a fresh Postgres database cloned
// from a migrated template, and pools that connect to it as the runtime role
// (never a superuser: a superuser bypasses RLS and makes isolation tests pass
// vacuously) and as the owner (for fixtures and catalogue checks).
//
// TEST_DATABASE_URL names a role that may create databases and roles; it
// defaults to the local Postgres. Tests never skip when it is unreachable:
// they fail.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/db"
	"github.com/tenantkit/tenantkit/internal/database"
)

// DefaultAdminURL is used when TEST_DATABASE_URL is not set.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// RuntimeRole is the login role tests connect as.
const RuntimeRole = "tenantkit_test_app"

// TenantLoginRole is the login role tenant transactions run on in tests.
const TenantLoginRole = "tenantkit_test_tenant"

// contextKey is the tenant context key of every test database (DB.Key). It
// is a test value: production keys come from TENANT_CONTEXT_KEY.
const contextKey = "tenantkit test tenant context key, 32+ bytes"

// DB is one test package's database.
type DB struct {
	Name      string
	OwnerURL  string // the migration owner (the admin role)
	AppURL    string // the runtime role
	TenantURL string // the tenant login role
	Owner     *pgxpool.Pool
	App       *pgxpool.Pool
	Tenant    *pgxpool.Pool       // for tenancy.NewManager, with Key
	Key       database.ContextKey // the tenant context key the database holds
	Roles     database.Roles      // the deployment's group roles: Roles
}

// Roles are the group roles of every test database: the migrations'
// placeholder names, DATABASE_ROLE_PREFIX=tenantkit.
var Roles = database.MigrationRoles

var (
	mu       sync.Mutex
	current  *DB
	setupErr error
	inMain   bool
)

// Main creates the package's database, runs the tests and drops the database.
// Call it from TestMain: os.Exit(dbtest.Main(m)).
func Main(m *testing.M) int {
	mu.Lock()
	inMain = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if current != nil {
		if err := drop(current); err != nil {
			fmt.Fprintf(os.Stderr, "dbtest: drop %s: %v\n", current.Name, err)
		}
	}
	return code
}

// New returns the package's database, creating it on first use.
func New(t testing.TB) *DB {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !inMain {
		t.Fatal("dbtest: call os.Exit(dbtest.Main(m)) from the package's TestMain")
	}
	if current == nil && setupErr == nil {
		current, setupErr = create(context.Background())
	}
	if setupErr != nil {
		t.Fatalf("dbtest: %v (is Postgres running? set TEST_DATABASE_URL)", setupErr)
	}
	return current
}

// TenantPool opens an extra tenant-login-role pool with at most maxConns
// connections, closed when the test ends.
func (d *DB) TenantPool(t testing.TB, maxConns int32) *pgxpool.Pool {
	t.Helper()
	p, err := database.Open(t.Context(), d.TenantURL, database.PoolConfig{MaxConns: maxConns})
	if err != nil {
		t.Fatalf("dbtest: open tenant pool: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// AppPool opens an extra runtime-role pool with at most maxConns
// connections, closed when the test ends.
func (d *DB) AppPool(t testing.TB, maxConns int32) *pgxpool.Pool {
	t.Helper()
	p, err := database.Open(t.Context(), d.AppURL, database.PoolConfig{MaxConns: maxConns})
	if err != nil {
		t.Fatalf("dbtest: open app pool: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

func adminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// withDatabase returns base with its database (and optionally user) replaced.
func withDatabase(base, dbname, user string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("TEST_DATABASE_URL: %w", err)
	}
	u.Path = "/" + dbname
	if user != "" {
		u.User = url.User(user)
	}
	return u.String(), nil
}

// migrationsHash names the template, so a changed migration builds a new
// one; River's migrations and grants, which `migrate up` applies after
// goose's, count too (a River upgrade in go.mod changes them).
func migrationsHash() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "river\x00%s\x00", database.RiverFingerprint())
	err := fs.WalkDir(db.Migrations, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := db.Migrations.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

func create(ctx context.Context) (*DB, error) {
	admin, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact(adminURL()), err)
	}
	defer admin.Close(ctx)

	template, err := ensureTemplate(ctx, admin)
	if err != nil {
		return nil, err
	}
	name := strings.ToLower("tk_test_" + rand.Text()[:16])
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{template}.Sanitize())); err != nil {
		return nil, fmt.Errorf("create database from template: %w", err)
	}
	// The creation time lets a later run drop it if this one is killed
	// before Main drops it.
	if err := stamp(ctx, admin, name); err != nil {
		return nil, err
	}

	d := &DB{Name: name, Key: database.ContextKey(contextKey), Roles: Roles}
	if d.OwnerURL, err = withDatabase(adminURL(), name, ""); err != nil {
		return nil, err
	}
	if d.AppURL, err = withDatabase(adminURL(), name, RuntimeRole); err != nil {
		return nil, err
	}
	if d.TenantURL, err = withDatabase(adminURL(), name, TenantLoginRole); err != nil {
		return nil, err
	}
	if d.Owner, err = database.Open(ctx, d.OwnerURL, database.PoolConfig{MaxConns: 4}); err != nil {
		return nil, err
	}
	// Roles are cluster-wide: a checkout of an older version on the same
	// cluster may have granted the tenant role to the runtime group again.
	if _, err := d.Owner.Exec(ctx, `DO $$ BEGIN
		IF pg_has_role('tenantkit_app', 'tenantkit_tenant', 'MEMBER') THEN REVOKE tenantkit_tenant FROM tenantkit_app; END IF;
	END $$`); err != nil {
		return nil, fmt.Errorf("repair the role graph: %w", err)
	}
	// CREATE DATABASE does not copy the template's database-level grants.
	if _, err := database.EnsureRuntimeRole(ctx, d.Owner, d.AppURL, Roles); err != nil {
		return nil, err
	}
	if d.App, err = database.Open(ctx, d.AppURL, database.PoolConfig{MaxConns: 8}); err != nil {
		return nil, err
	}
	if err := database.CheckRuntimeRole(ctx, d.App, Roles); err != nil {
		return nil, fmt.Errorf("test runtime role: %w", err)
	}
	if _, err := database.EnsureTenantRole(ctx, d.Owner, d.TenantURL, Roles); err != nil {
		return nil, err
	}
	if err := database.StoreContextKey(ctx, d.Owner, d.Key); err != nil {
		return nil, err
	}
	if d.Tenant, err = database.Open(ctx, d.TenantURL, database.PoolConfig{MaxConns: 8}); err != nil {
		return nil, err
	}
	if err := database.CheckTenantRole(ctx, d.Tenant, Roles); err != nil {
		return nil, fmt.Errorf("test tenant role: %w", err)
	}
	return d, nil
}

// migrationLock serializes migrations across test packages: roles are
// cluster-wide, and two first-time migrations creating them at once collide.
// The lock lives in the admin database, which every package connects to.
const migrationLock = "SELECT pg_advisory_lock(hashtext('tenantkit-dbtest-template'))"
const migrationUnlock = "SELECT pg_advisory_unlock(hashtext('tenantkit-dbtest-template'))"

// LockMigrations holds the tests' migration lock until the test ends. Tests
// that run migrations themselves (not through New) take it first.
func LockMigrations(t testing.TB) {
	t.Helper()
	ctx := t.Context()
	admin, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		t.Fatalf("dbtest: connect to %s: %v", redact(adminURL()), err)
	}
	if _, err := admin.Exec(ctx, migrationLock); err != nil {
		admin.Close(ctx)
		t.Fatalf("dbtest: lock: %v", err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) }) // closing releases the lock
}

// ensureTemplate migrates a template database once per set of migrations,
// under an advisory lock so packages tested in parallel build it once.
func ensureTemplate(ctx context.Context, admin *pgx.Conn) (string, error) {
	hash, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "tk_template_" + hash
	if _, err := admin.Exec(ctx, migrationLock); err != nil {
		return "", err
	}
	defer func() { _, _ = admin.Exec(context.WithoutCancel(ctx), migrationUnlock) }() // the lock also ends with the connection
	for _, pattern := range []string{`tk\_test\_%`, `tk\_fresh\_%`} {
		if err := dropOld(ctx, admin, pattern, ""); err != nil {
			return "", err
		}
	}

	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// Templates of earlier migration sets are of no further use once they
	// are old: a younger one may belong to another checkout testing now.
	if err := dropOld(ctx, admin, `tk\_template\_%`, name); err != nil {
		return "", err
	}
	building := name + "_building"
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize()+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	ownerURL, err := withDatabase(adminURL(), building, "")
	if err != nil {
		return "", err
	}
	if err := migrate(ctx, ownerURL); err != nil {
		return "", err
	}
	if err := stamp(ctx, admin, building); err != nil {
		return "", err
	}
	// Rename once complete, so a crash mid-build never leaves a half template.
	if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s",
		pgx.Identifier{building}.Sanitize(), pgx.Identifier{name}.Sanitize())); err != nil {
		return "", fmt.Errorf("finish template: %w", err)
	}
	return name, nil
}

func migrate(ctx context.Context, ownerURL string) error {
	m, err := database.NewMigrator(ownerURL, Roles)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Up(ctx, io.Discard); err != nil {
		return err
	}
	owner, err := database.Open(ctx, ownerURL, database.PoolConfig{MaxConns: 1})
	if err != nil {
		return err
	}
	defer owner.Close()
	appURL, err := withDatabase(ownerURL, "x", RuntimeRole)
	if err != nil {
		return err
	}
	_, err = database.EnsureRuntimeRole(ctx, owner, appURL, Roles)
	return err
}

// stamp records a database's creation time, so a later run can tell an
// abandoned one from one that another run is using now.
func stamp(ctx context.Context, admin *pgx.Conn, name string) error {
	_, err := admin.Exec(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS 'tenantkit test database created %d'",
		pgx.Identifier{name}.Sanitize(), time.Now().Unix()))
	return err
}

// dropOld drops the databases whose names match the LIKE pattern (except
// keep) and that were stamped over two hours ago (no test package runs that
// long). Unstamped ones may be in creation right now and stay.
func dropOld(ctx context.Context, admin *pgx.Conn, pattern, keep string) error {
	rows, err := admin.Query(ctx, `
SELECT d.datname FROM pg_database d
WHERE d.datname LIKE $1 AND d.datname <> $2
  AND substring(shobj_description(d.oid, 'pg_database') FROM 'created ([0-9]+)$')::bigint
      < extract(epoch FROM now() - interval '2 hours')`, pattern, keep)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop old test database %s: %w", n, err)
		}
	}
	return nil
}

// MigrateFresh creates an empty database, migrates it and returns its owner
// URL and a function that drops it. The schema drift check uses it.
func MigrateFresh(ctx context.Context) (string, func() error, error) {
	admin, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s: %w", redact(adminURL()), err)
	}
	defer admin.Close(ctx)
	name := strings.ToLower("tk_fresh_" + rand.Text()[:16])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, err
	}
	if err := stamp(ctx, admin, name); err != nil {
		return "", nil, err
	}
	ownerURL, err := withDatabase(adminURL(), name, "")
	if err != nil {
		return "", nil, err
	}
	dropIt := func() error {
		c, err := pgx.Connect(context.Background(), adminURL())
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		_, err = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	}
	if _, err := admin.Exec(ctx, migrationLock); err != nil {
		return "", nil, errors.Join(err, dropIt())
	}
	err = migrate(ctx, ownerURL)
	_, unlockErr := admin.Exec(context.WithoutCancel(ctx), migrationUnlock)
	if err = errors.Join(err, unlockErr); err != nil {
		return "", nil, errors.Join(err, dropIt())
	}
	return ownerURL, dropIt, nil
}

func drop(d *DB) error {
	d.App.Close()
	d.Tenant.Close()
	d.Owner.Close()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.Name}.Sanitize()+" WITH (FORCE)")
	return err
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "TEST_DATABASE_URL"
	}
	return u.Redacted()
}
