package projects_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/dbtest"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/projects"
	"github.com/tenantkit/tenantkit/internal/tenancy"
	"github.com/tenantkit/tenantkit/internal/tenancytest"
	"github.com/tenantkit/tenantkit/internal/validation"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// create adds a project in tn and returns it.
func create(t *testing.T, k *tenancytest.Kit, tn tenancytest.Tenant, in projects.Input) projects.Project {
	t.Helper()
	var p projects.Project
	k.Must(t, tn, func(ctx context.Context) error {
		var err error
		p, err = projects.NewService().Create(ctx, in)
		return err
	})
	return p
}

func TestLifecycle(t *testing.T) {
	k := tenancytest.New(t)
	s := projects.NewService()
	p := create(t, k, k.A, projects.Input{Name: "  Apollo  "})
	if p.Name != "Apollo" || p.CreatedBy != k.A.UserID || p.ID == uuid.Nil {
		t.Fatalf("created %+v, want trimmed name, created by the member", p)
	}

	k.Must(t, k.A, func(ctx context.Context) error {
		got, err := s.Get(ctx, p.ID)
		if err != nil || got != p {
			t.Errorf("Get = %+v, %v; want %+v", got, err, p)
		}
		// An empty patch changes nothing but the update time.
		same, err := s.Update(ctx, p.ID, projects.Patch{})
		if err != nil || same.Name != p.Name || same.UpdatedAt.Before(p.UpdatedAt) {
			t.Errorf("empty Update = %+v, %v", same, err)
		}
		name := "Artemis"
		upd, err := s.Update(ctx, p.ID, projects.Patch{Name: &name})
		if err != nil || upd.Name != name || upd.CreatedAt != p.CreatedAt {
			t.Errorf("Update = %+v, %v; want renamed", upd, err)
		}
		if err := s.Delete(ctx, p.ID); err != nil {
			t.Errorf("Delete: %v", err)
		}
		if _, err := s.Get(ctx, p.ID); !errors.Is(err, projects.ErrNotFound) {
			t.Errorf("Get after Delete = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, p.ID); !errors.Is(err, projects.ErrNotFound) {
			t.Errorf("second Delete = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func TestListPages(t *testing.T) {
	k := tenancytest.New(t)
	s := projects.NewService()
	var want []uuid.UUID
	for _, name := range []string{"one", "two", "three", "four", "five"} {
		want = append(want, create(t, k, k.A, projects.Input{Name: name}).ID)
	}
	create(t, k, k.B, projects.Input{Name: "other tenant"})

	var got []uuid.UUID
	k.Must(t, k.A, func(ctx context.Context) error {
		var after httpapi.Key
		for range 10 {
			page, err := s.List(ctx, after, 2)
			if err != nil {
				return err
			}
			for _, p := range page {
				got = append(got, p.ID)
				after = httpapi.Key{CreatedAt: p.CreatedAt, ID: p.ID}
			}
			if len(page) < 2 {
				return nil
			}
		}
		return errors.New("pages never ended")
	})
	if len(got) != len(want) {
		t.Fatalf("listed %d projects, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want creation order %v", got, want)
		}
	}
}

func TestInvalidInput(t *testing.T) {
	k := tenancytest.New(t)
	s := projects.NewService()
	p := create(t, k, k.A, projects.Input{Name: "Apollo"})
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"empty name", func(ctx context.Context) error { _, err := s.Create(ctx, projects.Input{Name: " "}); return err }},
		{"name too long", func(ctx context.Context) error {
			_, err := s.Create(ctx, projects.Input{Name: strings.Repeat("é", 201)})
			return err
		}},
		{"NUL byte", func(ctx context.Context) error { _, err := s.Create(ctx, projects.Input{Name: "a\x00b"}); return err }},
		{"empty rename", func(ctx context.Context) error {
			empty := ""
			_, err := s.Update(ctx, p.ID, projects.Patch{Name: &empty})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := k.Run(t, k.A, tt.call)
			fe, ok := errors.AsType[validation.Errors](err)
			if !ok || len(fe) != 1 || fe[0].Field != "name" {
				t.Errorf("err = %v, want a field problem with name", err)
			}
		})
	}
}

func TestNameTakenPerTenant(t *testing.T) {
	k := tenancytest.New(t)
	create(t, k, k.A, projects.Input{Name: "Apollo"})
	err := k.Run(t, k.A, func(ctx context.Context) error {
		_, err := projects.NewService().Create(ctx, projects.Input{Name: "Apollo"})
		return err
	})
	if !errors.Is(err, projects.ErrNameTaken) {
		t.Errorf("same name in the same tenant: %v, want ErrNameTaken", err)
	}
	// Uniqueness is per tenant: another tenant may use the name.
	create(t, k, k.B, projects.Input{Name: "Apollo"})
}

// TestIsolation runs raw SQL, with no tenant_id filter, in tenant B against
// a row of tenant A: only the table's RLS policy keeps it out of reach.
func TestIsolation(t *testing.T) {
	k := tenancytest.New(t)
	a := create(t, k, k.A, projects.Input{Name: "A's project"})
	b := create(t, k, k.B, projects.Input{Name: "B's project"})

	if n := k.Count(t, k.B, `SELECT count(*) FROM projects WHERE id = $1`, a.ID); n != 0 {
		t.Errorf("B sees %d of A's rows", n)
	}
	if n := k.Count(t, k.B, `SELECT count(*) FROM projects`); n != 1 {
		t.Errorf("B sees %d rows in all, want its own 1", n)
	}
	if n, err := k.Exec(t, k.B, `UPDATE projects SET name = 'taken over' WHERE id = $1`, a.ID); err != nil || n != 0 {
		t.Errorf("B updating A's row: %d rows, %v; want 0 rows", n, err)
	}
	if n, err := k.Exec(t, k.B, `DELETE FROM projects WHERE id = $1`, a.ID); err != nil || n != 0 {
		t.Errorf("B deleting A's row: %d rows, %v; want 0 rows", n, err)
	}
	if _, err := k.Exec(t, k.B, `INSERT INTO projects (tenant_id, name, created_by) VALUES ($1, 'planted', $2)`,
		k.A.ID, k.B.UserID); !tenancytest.IsPolicyViolation(err) {
		t.Errorf("B inserting into A: %v, want a row-level security violation", err)
	}
	if _, err := k.Exec(t, k.B, `UPDATE projects SET tenant_id = $1 WHERE id = $2`, k.A.ID, b.ID); !tenancytest.IsPolicyViolation(err) {
		t.Errorf("B moving its row to A: %v, want a row-level security violation", err)
	}
	err := k.Run(t, k.B, func(ctx context.Context) error {
		_, err := projects.NewService().Get(ctx, a.ID)
		return err
	})
	if !errors.Is(err, projects.ErrNotFound) {
		t.Errorf("B's Get of A's project: %v, want ErrNotFound", err)
	}

	// A's row is untouched, and nothing was planted in A.
	k.Must(t, k.A, func(ctx context.Context) error {
		got, err := projects.NewService().Get(ctx, a.ID)
		if err != nil || got != a {
			t.Errorf("A's project after B's attempts: %+v, %v; want %+v", got, err, a)
		}
		return nil
	})
	if n := k.Count(t, k.A, `SELECT count(*) FROM projects`); n != 1 {
		t.Errorf("A has %d rows, want 1", n)
	}
}

// TestOutsideTenantTransaction: without a tenant transaction every call
// fails closed.
func TestOutsideTenantTransaction(t *testing.T) {
	if _, err := projects.NewService().Get(t.Context(), uuid.New()); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("Get outside a tenant transaction: %v, want tenancy.ErrNoTenant", err)
	}
}
