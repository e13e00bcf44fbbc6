// Package tenancytest is the test kit for domain components: two tenants
// with one member each in the test package's database, and helpers that run
// a function or raw SQL inside a tenant's transaction exactly as a request
// does (tenancy.Manager.Run: the tenant role, the tenant setting, the
// membership check). Raw SQL is the point: it carries no tenant_id filter,
// so only the table's row-level security stands between the tenants, and a
// test that another tenant's rows are invisible proves the policy.
//
// The package's TestMain must call os.Exit(dbtest.Main(m)).
package tenancytest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/internal/dbtest"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

// Kit is two tenants, A and B, each with one member (its owner).
type Kit struct {
	DB      *dbtest.DB
	Tenancy *tenancy.Manager
	A, B    Tenant
}

// Tenant is a tenant and its one member.
type Tenant struct {
	ID     uuid.UUID
	Slug   string
	UserID uuid.UUID
}

// New creates two fresh tenants in the test package's database, through
// identity's API as sign-up and tenant creation do. Each call makes new
// ones, so tests do not see each other's rows.
func New(t testing.TB) *Kit {
	t.Helper()
	d := dbtest.New(t)
	// Cheap hashes: the kit's users never log in.
	ident, err := identity.New(d.App, identity.Config{Argon2: identity.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return &Kit{
		DB:      d,
		Tenancy: tenancy.NewManager(d.Tenant, ident, d.Key, 0),
		A:       newTenant(t, ident, "a"),
		B:       newTenant(t, ident, "b"),
	}
}

// newTenant signs up a user and creates a tenant they own.
func newTenant(t testing.TB, ident *identity.Service, name string) Tenant {
	t.Helper()
	suffix := uuid.NewString()[:8]
	u, err := ident.SignUp(t.Context(), "member-"+name+"-"+suffix+"@example.com", "correct horse battery staple", "Member "+name)
	if err != nil {
		t.Fatalf("tenancytest: sign up the member of tenant %s: %v", name, err)
	}
	if err := ident.MarkEmailVerified(t.Context(), u.ID); err != nil {
		t.Fatalf("tenancytest: verify the member of tenant %s: %v", name, err)
	}
	tn, err := ident.CreateTenant(t.Context(), u.ID, "Tenant "+name, "test-"+name+"-"+suffix)
	if err != nil {
		t.Fatalf("tenancytest: create tenant %s: %v", name, err)
	}
	return Tenant{ID: tn.ID, Slug: tn.Slug, UserID: u.ID}
}

// Run runs fn inside tn's tenant transaction as its member, as a request
// would, and returns fn's error (or the transaction's). The transaction
// commits when fn returns nil and rolls back otherwise.
func (k *Kit) Run(t testing.TB, tn Tenant, fn func(ctx context.Context) error) error {
	t.Helper()
	return k.Tenancy.Run(t.Context(), tn.ID, tn.UserID, fn)
}

// Must runs fn like Run and fails the test when it returns an error.
func (k *Kit) Must(t testing.TB, tn Tenant, fn func(ctx context.Context) error) {
	t.Helper()
	if err := k.Run(t, tn, fn); err != nil {
		t.Fatalf("in tenant %s: %v", tn.Slug, err)
	}
}

// Exec runs one SQL statement inside tn's tenant transaction (committed
// when it succeeds) and returns the number of rows it affected.
func (k *Kit) Exec(t testing.TB, tn Tenant, sql string, args ...any) (int64, error) {
	t.Helper()
	var tag pgconn.CommandTag
	err := k.Run(t, tn, func(ctx context.Context) error {
		var err error
		tag, err = tenancy.DB(ctx).Exec(ctx, sql, args...)
		return err
	})
	return tag.RowsAffected(), err
}

// Count runs a query returning one integer (SELECT count(*) …) inside tn's
// tenant transaction and fails the test when it fails.
func (k *Kit) Count(t testing.TB, tn Tenant, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	k.Must(t, tn, func(ctx context.Context) error {
		return tenancy.DB(ctx).QueryRow(ctx, sql, args...).Scan(&n)
	})
	return n
}

// IsPolicyViolation reports whether err is Postgres refusing a row under
// row-level security ("new row violates row-level security policy", SQLSTATE
// 42501). A missing GRANT has the same SQLSTATE but another message, and is
// not one.
func IsPolicyViolation(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pgErr.Code == "42501" && strings.Contains(pgErr.Message, "row-level security")
}

// String names the tenant in test output.
func (tn Tenant) String() string { return fmt.Sprintf("%s (%s)", tn.Slug, tn.ID) }
