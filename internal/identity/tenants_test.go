package identity

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/validation"
)

func TestCreateTenant(t *testing.T) {
	s, _ := newTestService(t, Config{})
	owner := signUp(t, s)
	slug := uniqueSlug()
	got, err := s.CreateTenant(t.Context(), owner.ID, "  Acme Corp ", " "+slug+" ")
	if err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	if diff := cmp.Diff(Tenant{Slug: slug, Name: "Acme Corp"}, got, cmpopts.IgnoreFields(Tenant{}, "ID", "CreatedAt")); diff != "" {
		t.Errorf("tenant (-want +got):\n%s", diff)
	}
	inTenant(t, tenantPool(t), got.ID, func(ctx context.Context, tx pgx.Tx) {
		role, err := currentRole(ctx, s, tx, owner.ID)
		if err != nil || role != RoleOwner {
			t.Errorf("role of the owner = %q, %v; want owner", role, err)
		}
	})
	for _, ref := range []string{got.ID.String(), strings.ToUpper(got.ID.String()), slug} {
		byRef, err := s.Tenant(t.Context(), ref)
		if err != nil {
			t.Fatalf("Tenant(%q): %v", ref, err)
		}
		if diff := cmp.Diff(got, byRef); diff != "" {
			t.Errorf("Tenant(%q) (-created +found):\n%s", ref, diff)
		}
	}
}

func TestCreateTenantRejects(t *testing.T) {
	s, _ := newTestService(t, Config{})
	owner, disabled := signUp(t, s), signUp(t, s)
	taken := createTenant(t, s, owner.ID)
	if err := s.DisableUser(t.Context(), disabled.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, tenantName, slug string
		owner                  uuid.UUID
		want                   error    // a sentinel, or nil for field problems
		wantFields             []string // validation.Errors fields
	}{
		{"slug taken", "Other", taken.Slug, owner.ID, ErrSlugTaken, nil},
		{"unknown owner", "Other", uniqueSlug(), uuid.New(), ErrUserNotFound, nil},
		{"disabled owner", "Other", uniqueSlug(), disabled.ID, ErrUserNotFound, nil},
		{"name with bidi override", "O\u202Eredto", uniqueSlug(), owner.ID, nil, []string{"name"}},
		{"name with zero-width space", "Ot\u200bher", uniqueSlug(), owner.ID, nil, []string{"name"}},
		{"reserved slug", "Other", "admin", owner.ID, nil, []string{"slug"}},
		{"uppercase slug", "Other", "Acme", owner.ID, nil, []string{"slug"}},
		{"uuid-shaped slug", "Other", uuid.NewString(), owner.ID, nil, []string{"slug"}},
		{"slug with NUL", "Other", "ac\x00me", owner.ID, nil, []string{"slug"}},
		{"name invalid UTF-8", "Oth\xffer", uniqueSlug(), owner.ID, nil, []string{"name"}},
		{"name with NUL", "Oth\x00er", uniqueSlug(), owner.ID, nil, []string{"name"}},
		{"both empty", "", "", owner.ID, nil, []string{"name", "slug"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateTenant(t.Context(), tt.owner, tt.tenantName, tt.slug)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Errorf("CreateTenant = %v, want %v", err, tt.want)
				}
				return
			}
			fe, ok := errors.AsType[validation.Errors](err)
			if !ok {
				t.Fatalf("CreateTenant = %v, want validation.Errors", err)
			}
			var fields []string
			for _, f := range fe {
				fields = append(fields, f.Field)
			}
			if diff := cmp.Diff(tt.wantFields, fields); diff != "" {
				t.Errorf("problem fields (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreateTenantAtomic: an unknown or disabled owner gets ErrUserNotFound
// and leaves no tenant behind.
func TestCreateTenantAtomic(t *testing.T) {
	s, _ := newTestService(t, Config{})
	disabled := signUp(t, s)
	if err := s.DisableUser(t.Context(), disabled.ID); err != nil {
		t.Fatal(err)
	}
	for name, owner := range map[string]uuid.UUID{"unknown owner": uuid.New(), "disabled owner": disabled.ID} {
		t.Run(name, func(t *testing.T) {
			slug := uniqueSlug()
			if _, err := s.CreateTenant(t.Context(), owner, "Orphan", slug); !errors.Is(err, ErrUserNotFound) {
				t.Fatalf("CreateTenant = %v, want ErrUserNotFound", err)
			}
			if _, err := s.Tenant(t.Context(), slug); !errors.Is(err, ErrTenantNotFound) {
				t.Errorf("Tenant(%q) after failed create = %v, want ErrTenantNotFound (no half-created tenant)", slug, err)
			}
		})
	}
	var n int
	if err := appPool(t).QueryRow(t.Context(), "SELECT count(*) FROM tenants WHERE name = 'Orphan'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d tenants named Orphan, want 0", n)
	}
}

func TestTenantNotFound(t *testing.T) {
	s, _ := newTestService(t, Config{})
	for _, ref := range []string{uuid.NewString(), uniqueSlug(), "", "Not A Slug", "nul\x00", "\xff", "admin"} {
		if _, err := s.Tenant(t.Context(), ref); !errors.Is(err, ErrTenantNotFound) {
			t.Errorf("Tenant(%q) = %v, want ErrTenantNotFound", ref, err)
		}
	}
}
