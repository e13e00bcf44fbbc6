package identity

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// TestCurrentTenant: a tenant transaction sees its own tenant, and one
// scoped to another tenant sees none.
func TestCurrentTenant(t *testing.T) {
	s, _ := newTestService(t, Config{})
	a, b := signUp(t, s), signUp(t, s)
	ta, tb := createTenant(t, s, a.ID), createTenant(t, s, b.ID)
	inTenant(t, tenantPool(t), ta.ID, func(ctx context.Context, tx pgx.Tx) {
		got, err := s.CurrentTenant(ctx, tx, ta.ID)
		if err != nil || got.ID != ta.ID || got.Slug != ta.Slug || got.Name != ta.Name {
			t.Errorf("CurrentTenant(own) = %+v, %v; want %+v", got, err, ta)
		}
		if got, err := s.CurrentTenant(ctx, tx, tb.ID); !errors.Is(err, ErrNotMember) {
			t.Errorf("CurrentTenant(another tenant) = %+v, %v; want ErrNotMember", got, err)
		}
	})
}

// TestTenantManagementRechecksTheRole: UpdateTenant and TransferTenant
// decide on the actor's role as it is under the tenant's lock, whatever
// the caller checked before, and refuse non-members like missing tenants.
func TestTenantManagementRechecksTheRole(t *testing.T) {
	s, _ := newTestService(t, Config{})
	owner, admin, stranger := signUp(t, s), signUp(t, s), signUp(t, s)
	tn := createTenant(t, s, owner.ID)
	if err := s.AddMember(t.Context(), tn.ID, admin.ID, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	name := "Renamed"
	as := func(u User) Actor { return Actor{UserID: u.ID} }

	if _, err := s.UpdateTenant(t.Context(), as(admin), tn.ID, TenantUpdate{Name: &name}); !errors.Is(err, ErrRoleForbidden) {
		t.Errorf("UpdateTenant as an admin = %v, want ErrRoleForbidden", err)
	}
	if _, err := s.UpdateTenant(t.Context(), as(stranger), tn.ID, TenantUpdate{Name: &name}); !errors.Is(err, ErrNotMember) {
		t.Errorf("UpdateTenant as a non-member = %v, want ErrNotMember", err)
	}
	if _, err := s.UpdateTenant(t.Context(), as(owner), uuid.New(), TenantUpdate{Name: &name}); !errors.Is(err, ErrNotMember) {
		t.Errorf("UpdateTenant of no tenant = %v, want ErrNotMember", err)
	}
	if _, err := s.UpdateTenant(t.Context(), as(owner), tn.ID, TenantUpdate{}); !isFieldProblem(err, "name") {
		t.Errorf("UpdateTenant with no change = %v, want a field problem", err)
	}
	if err := s.TransferTenant(t.Context(), as(admin), tn.ID, admin.ID); !errors.Is(err, ErrRoleForbidden) {
		t.Errorf("TransferTenant as an admin = %v, want ErrRoleForbidden", err)
	}
	if err := s.TransferTenant(t.Context(), as(owner), tn.ID, stranger.ID); !errors.Is(err, ErrMemberNotFound) {
		t.Errorf("TransferTenant to a non-member = %v, want ErrMemberNotFound", err)
	}
	if err := s.TransferTenant(t.Context(), as(owner), tn.ID, owner.ID); !errors.Is(err, ErrTransferToSelf) {
		t.Errorf("TransferTenant to oneself = %v, want ErrTransferToSelf", err)
	}
	got, err := s.Tenant(t.Context(), tn.ID.String())
	if err != nil || got.Name != tn.Name || got.Slug != tn.Slug {
		t.Errorf("after refused changes the tenant is %+v, %v; want %+v", got, err, tn)
	}

	// After a transfer, the former owner is refused what they did before.
	if err := s.TransferTenant(t.Context(), as(owner), tn.ID, admin.ID); err != nil {
		t.Fatalf("TransferTenant: %v", err)
	}
	if _, err := s.UpdateTenant(t.Context(), as(owner), tn.ID, TenantUpdate{Name: &name}); !errors.Is(err, ErrRoleForbidden) {
		t.Errorf("UpdateTenant by the former owner = %v, want ErrRoleForbidden", err)
	}
	renamed, err := s.UpdateTenant(t.Context(), as(admin), tn.ID, TenantUpdate{Name: &name})
	if err != nil || renamed.Name != name || renamed.ID != tn.ID || renamed.Slug != tn.Slug {
		t.Errorf("UpdateTenant by the new owner = %+v, %v", renamed, err)
	}
}
