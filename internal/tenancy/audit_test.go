package tenancy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

// auditRow is an event as the owner reads it.
type auditRow struct {
	Tenant, Actor                         uuid.UUID
	Action, Target, Detail, RequestID, IP string
}

func auditRows(t *testing.T, w world, tenant uuid.UUID) []auditRow {
	t.Helper()
	rows, err := w.db.Owner.Query(t.Context(), `
		SELECT tenant_id, actor, action, target, detail::text, request_id, ip
		FROM audit_events WHERE tenant_id = $1 ORDER BY created_at, id`, tenant)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[auditRow])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestAudit: an event is written with the transaction's COMMIT, with the
// tenant, the user and the request's origin, and not at all when the
// transaction rolls back.
func TestAudit(t *testing.T) {
	w := newWorld(t)
	m := newManager(t, w.db.Tenant)
	ctx := identity.WithOrigin(t.Context(), identity.Origin{RequestID: "req-1", IP: "192.0.2.7"})

	err := m.Run(ctx, w.tenantA, w.userA, func(ctx context.Context) error {
		if _, err := tenancy.DB(ctx).Exec(ctx, "UPDATE projects SET name = 'renamed' WHERE id = $1", w.projA); err != nil {
			return err
		}
		return tenancy.Audit(ctx, "project.updated", w.projA.String(), map[string]string{"name": "renamed"})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []auditRow{{w.tenantA, w.userA, "project.updated", w.projA.String(), `{"name": "renamed"}`, "req-1", "192.0.2.7"}}
	if diff := cmp.Diff(want, auditRows(t, w, w.tenantA)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}

	t.Run("rolled back with the change", func(t *testing.T) {
		boom := errors.New("boom")
		err := m.Run(ctx, w.tenantB, w.userB, func(ctx context.Context) error {
			if err := tenancy.Audit(ctx, "project.deleted", w.projB.String(), nil); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Run: %v, want boom", err)
		}
		if got := auditRows(t, w, w.tenantB); len(got) != 0 {
			t.Errorf("a rolled-back transaction left events: %v", got)
		}
	})

	t.Run("as another tenant", func(t *testing.T) {
		err := m.Run(ctx, w.tenantB, w.userB, func(ctx context.Context) error {
			if n := count(t, tenancy.DB(ctx), "SELECT count(*) FROM audit_events"); n != 0 {
				t.Errorf("tenant B sees %d of tenant A's events", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a non-member records nothing", func(t *testing.T) {
		err := m.Run(ctx, w.tenantA, w.userB, func(ctx context.Context) error {
			return tenancy.Audit(ctx, "project.deleted", "x", nil)
		})
		if !errors.Is(err, tenancy.ErrTenantNotFound) {
			t.Fatalf("Run: %v, want ErrTenantNotFound", err)
		}
		if got := auditRows(t, w, w.tenantA); len(got) != 1 {
			t.Errorf("events of tenant A: %v", got)
		}
	})

	t.Run("malformed events", func(t *testing.T) {
		for _, tt := range []struct {
			name, action, target string
			detail               any
		}{
			{"one word", "deleted", "", nil},
			{"upper case", "Project.Deleted", "", nil},
			{"long target", "project.deleted", strings.Repeat("x", tenancy.MaxAuditTarget+1), nil},
			{"large detail", "project.deleted", "", strings.Repeat("x", tenancy.MaxAuditDetail)},
			{"unencodable detail", "project.deleted", "", func() {}},
		} {
			err := m.Run(ctx, w.tenantA, w.userA, func(ctx context.Context) error {
				return tenancy.Audit(ctx, tt.action, tt.target, tt.detail)
			})
			if err == nil {
				t.Errorf("%s: Audit accepted it", tt.name)
			}
		}
		if err := tenancy.Audit(t.Context(), "project.deleted", "", nil); !errors.Is(err, tenancy.ErrNoTenant) {
			t.Errorf("Audit outside Run: %v, want ErrNoTenant", err)
		}
	})

	// Append-only: the tenant role may not change or delete events, even
	// its own tenant's, inside its own tenant transaction.
	t.Run("append-only", func(t *testing.T) {
		for _, sql := range []string{
			"UPDATE audit_events SET action = 'project.created'",
			"DELETE FROM audit_events",
			"TRUNCATE audit_events",
		} {
			err := m.Run(ctx, w.tenantA, w.userA, func(ctx context.Context) error {
				_, err := tenancy.DB(ctx).Exec(ctx, sql)
				return err
			})
			if !isPermissionDenied(err) {
				t.Errorf("%s in a tenant transaction: %v, want permission denied", sql, err)
			}
		}
		if got := auditRows(t, w, w.tenantA); len(got) != 1 || got[0].Action != "project.updated" {
			t.Errorf("events after the attempts: %v", got)
		}
	})

	// SQL in a tenant transaction cannot forge history: the database
	// stamps id and time, and an actor must be a member of the tenant
	// (refused before the foreign key, so it tells nothing of other
	// tenants' users).
	t.Run("not forgeable", func(t *testing.T) {
		err := m.Run(ctx, w.tenantA, w.userA, func(ctx context.Context) error {
			_, err := tenancy.DB(ctx).Exec(ctx,
				"INSERT INTO audit_events (tenant_id, actor, action, target) VALUES ($1, $2, 'member.removed', 'x')", w.tenantA, w.userB)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "not a member") {
			t.Errorf("an event attributed to another tenant's user: %v", err)
		}
		err = m.Run(ctx, w.tenantA, w.userA, func(ctx context.Context) error {
			_, err := tenancy.DB(ctx).Exec(ctx,
				"INSERT INTO audit_events (tenant_id, actor, action, target, created_at) VALUES ($1, $2, 'project.created', 'backdated', '2020-01-01')", w.tenantA, w.userA)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var at time.Time
		if err := w.db.Owner.QueryRow(ctx, "SELECT created_at FROM audit_events WHERE target = 'backdated'").Scan(&at); err != nil {
			t.Fatal(err)
		}
		if time.Since(at) > time.Hour {
			t.Errorf("a backdated event kept its time: %v", at)
		}
	})
}

func isPermissionDenied(err error) bool {
	return err != nil && strings.Contains(err.Error(), "permission denied") && isRLSViolation(err)
}
