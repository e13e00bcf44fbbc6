package tenancy_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

// newPlatformAdmin creates a user, member of no tenant, who is a platform
// admin (as `server admins grant` makes one), as the owner.
func newPlatformAdmin(t *testing.T, w world) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := w.db.Owner.QueryRow(t.Context(), `
WITH u AS (INSERT INTO users (email, name) VALUES ($1, 'Root') RETURNING id),
     a AS (INSERT INTO platform_admins (user_id) SELECT id FROM u)
SELECT id FROM u`, "root-"+uuid.NewString()[:8]+"@example.com").Scan(&id)
	if err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	return id
}

// TestRunAsAdmin (issue 10): a platform admin's opt-in runs in the tenant
// with the admin role and records platform.admin_access (reason, actor,
// origin) in the tenant's log in the same transaction: also when fn sends
// no statement, never when fn fails. Without the opt-in, and for anyone
// who is neither an admin nor a member, the tenant is not found.
func TestRunAsAdmin(t *testing.T) {
	w := newWorld(t)
	m := newManager(t, w.db.Tenant)
	root := newPlatformAdmin(t, w)
	ctx := identity.WithOrigin(t.Context(), identity.Origin{RequestID: "req-admin", IP: "192.0.2.9"})
	accessA := func(reason string) auditRow {
		return auditRow{w.tenantA, root, tenancy.ActionAdminAccess, w.tenantA.String(), `{"reason": "` + reason + `"}`, "req-admin", "192.0.2.9"}
	}

	err := m.RunAsAdmin(ctx, w.tenantA, root, "  ticket 42 ", func(ctx context.Context) error {
		if n := count(t, tenancy.DB(ctx), "SELECT count(*) FROM projects"); n != 1 {
			t.Errorf("the admin sees %d projects of tenant A, want 1", n)
		}
		if n := count(t, tenancy.DB(ctx), "SELECT count(*) FROM projects WHERE tenant_id = $1", w.tenantB); n != 0 {
			t.Errorf("the admin, in tenant A, sees %d projects of tenant B", n)
		}
		if role, err := tenancy.Role(ctx); role != identity.RoleAdmin || err != nil {
			t.Errorf("Role = %q, %v; want admin", role, err)
		}
		if err := tenancy.Require(ctx, tenancy.PermDelete); err != nil {
			t.Errorf("Require(PermDelete) = %v, want nil for the admin role", err)
		}
		if err := tenancy.Require(ctx, tenancy.PermManageTenant); !errors.Is(err, tenancy.ErrForbidden) {
			t.Errorf("Require(PermManageTenant) = %v, want ErrForbidden for the admin role", err)
		}
		if _, err := tenancy.DB(ctx).Exec(ctx, "UPDATE projects SET name = 'fixed by support' WHERE id = $1", w.projA); err != nil {
			return err
		}
		return tenancy.Audit(ctx, "project.updated", w.projA.String(), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []auditRow{accessA("ticket 42"), {w.tenantA, root, "project.updated", w.projA.String(), "{}", "req-admin", "192.0.2.9"}}
	if diff := cmp.Diff(want, auditRows(t, w, w.tenantA)); diff != "" {
		t.Fatalf("tenant A's events (-want +got):\n%s", diff)
	}
	if n := count(t, w.db.Owner, "SELECT count(*) FROM projects WHERE id = $1 AND name = 'fixed by support'", w.projA); n != 1 {
		t.Error("the admin's change did not commit")
	}

	t.Run("fn sends nothing", func(t *testing.T) {
		if err := m.RunAsAdmin(ctx, w.tenantA, root, "a look", func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
		got := auditRows(t, w, w.tenantA)
		if diff := cmp.Diff(accessA("a look"), got[len(got)-1]); diff != "" {
			t.Errorf("last event (-want +got):\n%s", diff)
		}
	})

	t.Run("fn fails: nothing remains", func(t *testing.T) {
		before := auditRows(t, w, w.tenantA)
		boom := errors.New("boom")
		err := m.RunAsAdmin(ctx, w.tenantA, root, "rolled back", func(ctx context.Context) error {
			if _, err := tenancy.DB(ctx).Exec(ctx, "UPDATE projects SET name = 'rolled back' WHERE id = $1", w.projA); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("RunAsAdmin = %v, want boom", err)
		}
		if diff := cmp.Diff(before, auditRows(t, w, w.tenantA)); diff != "" {
			t.Errorf("events after the rollback (-before +after):\n%s", diff)
		}
		if n := count(t, w.db.Owner, "SELECT count(*) FROM projects WHERE name = 'rolled back'"); n != 0 {
			t.Error("the failed request's change remained")
		}
	})

	t.Run("without the opt-in", func(t *testing.T) {
		err := m.Run(ctx, w.tenantA, root, func(ctx context.Context) error {
			_, err := tenancy.DB(ctx).Exec(ctx, "UPDATE projects SET name = 'no opt-in'")
			return err
		})
		if !errors.Is(err, tenancy.ErrTenantNotFound) {
			t.Errorf("Run as a platform admin = %v, want ErrTenantNotFound", err)
		}
	})

	t.Run("neither admin nor member", func(t *testing.T) {
		before := auditRows(t, w, w.tenantA)
		for name, fn := range map[string]func(ctx context.Context) error{
			"no statement": func(context.Context) error { return nil },
			"a write": func(ctx context.Context) error {
				_, err := tenancy.DB(ctx).Exec(ctx, "UPDATE projects SET name = 'intruder'")
				return err
			},
		} {
			if err := m.RunAsAdmin(ctx, w.tenantA, w.userB, "let me in", fn); !errors.Is(err, tenancy.ErrTenantNotFound) {
				t.Errorf("%s: RunAsAdmin as another tenant's user = %v, want ErrTenantNotFound", name, err)
			}
		}
		if err := m.RunAsAdmin(ctx, uuid.New(), root, "no such tenant", func(context.Context) error { return nil }); !errors.Is(err, tenancy.ErrTenantNotFound) {
			t.Errorf("RunAsAdmin in a tenant that does not exist = %v, want ErrTenantNotFound", err)
		}
		if diff := cmp.Diff(before, auditRows(t, w, w.tenantA)); diff != "" {
			t.Errorf("events (-before +after):\n%s", diff)
		}
		if n := count(t, w.db.Owner, "SELECT count(*) FROM projects WHERE name = 'intruder'"); n != 0 {
			t.Error("a refused caller's write ran")
		}
	})

	t.Run("a member acts as a member and records nothing", func(t *testing.T) {
		before := auditRows(t, w, w.tenantB)
		err := m.RunAsAdmin(ctx, w.tenantB, w.userB, "habit", func(ctx context.Context) error {
			if role, err := tenancy.Role(ctx); role != identity.RoleOwner || err != nil {
				t.Errorf("Role = %q, %v; want owner", role, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, auditRows(t, w, w.tenantB)); diff != "" {
			t.Errorf("events (-before +after):\n%s", diff)
		}
	})

	t.Run("reasons", func(t *testing.T) {
		for _, reason := range []string{"", "   ", "\x00\t\n"} {
			err := m.RunAsAdmin(ctx, w.tenantA, root, reason, func(context.Context) error {
				t.Errorf("fn ran for reason %q", reason)
				return nil
			})
			if !errors.Is(err, tenancy.ErrAdminReasonRequired) {
				t.Errorf("reason %q: %v, want ErrAdminReasonRequired", reason, err)
			}
		}
		long := strings.Repeat("é", tenancy.MaxAdminReason) // 2 bytes each
		for reason, want := range map[string]string{
			"line one\nline two\x00": "line one line two",
			long:                     strings.Repeat("é", tenancy.MaxAdminReason/2),
		} {
			if err := m.RunAsAdmin(ctx, w.tenantA, root, reason, func(context.Context) error { return nil }); err != nil {
				t.Fatal(err)
			}
			got := auditRows(t, w, w.tenantA)
			if diff := cmp.Diff(accessA(want), got[len(got)-1]); diff != "" {
				t.Errorf("reason %.20q: last event (-want +got):\n%s", reason, diff)
			}
		}
	})

	t.Run("a revoked admin", func(t *testing.T) {
		if _, err := w.db.Owner.Exec(t.Context(), "DELETE FROM platform_admins WHERE user_id = $1", root); err != nil {
			t.Fatal(err)
		}
		if err := m.RunAsAdmin(ctx, w.tenantA, root, "one more", func(context.Context) error { return nil }); !errors.Is(err, tenancy.ErrTenantNotFound) {
			t.Errorf("RunAsAdmin after the revoke = %v, want ErrTenantNotFound", err)
		}
	})
}
