package tenancy_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/problem"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

// roles are the roles, from the least to the most rights.
var roles = []identity.Role{identity.RoleViewer, identity.RoleMember, identity.RoleAdmin, identity.RoleOwner}

var permissions = []tenancy.Permission{
	tenancy.PermRead, tenancy.PermWrite, tenancy.PermDelete, tenancy.PermManageMembers, tenancy.PermManageTenant, tenancy.PermReadAudit,
}

// TestAllows pins the whole permission table: every role × every
// permission, and nothing for a role or permission the table does not know.
func TestAllows(t *testing.T) {
	const (
		y = true
		n = false
	)
	tests := []struct {
		role identity.Role
		// read, write, delete, manage_members, manage_tenant, read_audit
		want [6]bool
	}{
		{identity.RoleOwner, [6]bool{y, y, y, y, y, y}},
		{identity.RoleAdmin, [6]bool{y, y, y, y, n, y}},
		{identity.RoleMember, [6]bool{y, y, n, n, n, n}},
		{identity.RoleViewer, [6]bool{y, n, n, n, n, n}},
		{"", [6]bool{}},
		{"superuser", [6]bool{}},
		{"Owner", [6]bool{}},
	}
	for _, tt := range tests {
		for i, p := range permissions {
			if got := tenancy.Allows(tt.role, p); got != tt.want[i] {
				t.Errorf("Allows(%q, %q) = %v, want %v", tt.role, p, got, tt.want[i])
			}
		}
		if tenancy.Allows(tt.role, "launch_missiles") {
			t.Errorf("Allows(%q, unknown permission) = true", tt.role)
		}
	}
}

// TestRolesAreCumulative: each role may do all that the role below it may,
// so a promotion never takes a permission away.
func TestRolesAreCumulative(t *testing.T) {
	for i := 1; i < len(roles); i++ {
		lower, higher := roles[i-1], roles[i]
		for _, p := range permissions {
			if tenancy.Allows(lower, p) && !tenancy.Allows(higher, p) {
				t.Errorf("%s may %s but %s may not", lower, p, higher)
			}
		}
	}
}

// TestTableHasEveryDatabaseRole: the roles the database lets a membership
// have (memberships_role_check) are identity's and the table's, each at
// least reading. Require skips the round trip for a permission every role
// in the table holds, which is sound only while no membership can have a
// role that the table leaves out.
func TestTableHasEveryDatabaseRole(t *testing.T) {
	w := newWorld(t)
	var def string
	if err := w.db.Owner.QueryRow(t.Context(), `
SELECT pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'public.memberships'::regclass AND conname = 'memberships_role_check'`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	var inDB []identity.Role
	for _, m := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(def, -1) {
		inDB = append(inDB, identity.Role(m[1]))
	}
	slices.Sort(inDB)
	want := slices.Sorted(slices.Values(roles))
	if diff := cmp.Diff(inDB, want); diff != "" {
		t.Errorf("memberships_role_check %s allows other roles than the ones TestAllows pins (-database +test):\n%s", def, diff)
	}
	for _, r := range inDB {
		if !r.Valid() {
			t.Errorf("identity: Role(%q).Valid() = false; the database allows it", r)
		}
		if !tenancy.Allows(r, tenancy.PermRead) {
			t.Errorf("role %q may not read", r)
		}
	}
}

// TestRequire runs Require inside real tenant transactions, as a member of
// each role, both before the transaction's first statement (when Require
// may have to open it) and after.
func TestRequire(t *testing.T) {
	w := newWorld(t)
	m := newManager(t, w.db.Tenant)
	ident, err := identity.New(w.db.App, identity.Config{Argon2: identity.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1}})
	if err != nil {
		t.Fatal(err)
	}
	users := map[identity.Role]uuid.UUID{identity.RoleOwner: w.userA}
	for _, r := range roles[:3] { // viewer, member, admin
		u, err := ident.SignUp(t.Context(), string(r)+"-"+uuid.NewString()[:8]+"@example.com", "correct horse battery staple", string(r))
		if err != nil {
			t.Fatal(err)
		}
		if err := ident.AddMember(t.Context(), w.tenantA, u.ID, r); err != nil {
			t.Fatal(err)
		}
		users[r] = u.ID
	}

	for _, role := range roles {
		for _, p := range permissions {
			for _, afterStatement := range []bool{false, true} {
				name := string(role) + "/" + string(p)
				if afterStatement {
					name += "/after a statement"
				}
				t.Run(name, func(t *testing.T) {
					var got error
					err := m.Run(t.Context(), w.tenantA, users[role], func(ctx context.Context) error {
						if afterStatement {
							if _, err := tenancy.DB(ctx).Exec(ctx, "SELECT 1"); err != nil {
								return err
							}
						}
						got = tenancy.Require(ctx, p)
						return got
					})
					if tenancy.Allows(role, p) {
						if got != nil || err != nil {
							t.Errorf("Require = %v, Run = %v; want nil", got, err)
						}
						return
					}
					if !errors.Is(got, tenancy.ErrForbidden) || !errors.Is(err, tenancy.ErrForbidden) {
						t.Errorf("Require = %v, Run = %v; want ErrForbidden", got, err)
					}
					if pe, ok := errors.AsType[*problem.Error](got); !ok || pe.Status != 403 || pe.Code != "forbidden" {
						t.Errorf("Require = %#v, want a 403 forbidden problem", got)
					}
				})
			}
		}
	}

	// A non-member is not told about permissions: the tenant does not
	// exist for them, whatever Require answered (for PermRead it answers
	// nil and leaves the check to the first statement, or to Run).
	for _, p := range permissions {
		t.Run("non-member/"+string(p), func(t *testing.T) {
			var stmtErr error
			err := m.Run(t.Context(), w.tenantB, w.userA, func(ctx context.Context) error {
				if err := tenancy.Require(ctx, p); err != nil {
					return err
				}
				_, stmtErr = tenancy.DB(ctx).Exec(ctx, "SELECT 1")
				return stmtErr
			})
			if !errors.Is(err, tenancy.ErrTenantNotFound) {
				t.Errorf("Run = %v, want ErrTenantNotFound", err)
			}
			if stmtErr != nil && !errors.Is(stmtErr, tenancy.ErrTenantNotFound) {
				t.Errorf("statement = %v, want ErrTenantNotFound", stmtErr)
			}
		})
		t.Run("non-member, no statement/"+string(p), func(t *testing.T) {
			err := m.Run(t.Context(), w.tenantB, w.userA, func(ctx context.Context) error {
				return tenancy.Require(ctx, p)
			})
			if !errors.Is(err, tenancy.ErrTenantNotFound) {
				t.Errorf("Run = %v, want ErrTenantNotFound", err)
			}
		})
	}

	t.Run("unknown permission fails closed", func(t *testing.T) {
		var got error
		err := m.Run(t.Context(), w.tenantA, w.userA, func(ctx context.Context) error {
			got = tenancy.Require(ctx, "launch_missiles")
			return got
		})
		if got == nil || err == nil || errors.Is(got, tenancy.ErrForbidden) {
			t.Errorf("Require = %v, Run = %v; want an error that is not ErrForbidden (a bug, not the caller's role)", got, err)
		}
	})
}

// TestRequireOutsideRunFailsClosed: without a tenant transaction there is
// no role, and Require refuses every permission.
func TestRequireOutsideRunFailsClosed(t *testing.T) {
	for _, p := range permissions {
		if err := tenancy.Require(t.Context(), p); !errors.Is(err, tenancy.ErrNoTenant) {
			t.Errorf("Require(%q) outside Run = %v, want ErrNoTenant", p, err)
		}
	}
}
