package identity

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// TestPlatformAdmin (issue 10): GrantPlatformAdmin and RevokePlatformAdmin
// by address in any letter case; IsPlatformAdmin counts enabled admins
// only.
func TestPlatformAdmin(t *testing.T) {
	s, _ := newTestService(t, Config{})
	ctx := t.Context()
	u, other := signUp(t, s), signUp(t, s)
	is := func(id uuid.UUID) bool {
		t.Helper()
		ok, err := s.IsPlatformAdmin(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if is(u.ID) {
		t.Fatal("a new user is a platform admin")
	}
	for range 2 {
		got, err := s.GrantPlatformAdmin(ctx, "  "+strings.ToUpper(u.Email)+" ")
		if err != nil || got.ID != u.ID {
			t.Fatalf("GrantPlatformAdmin = %v, %v; want %v", got.ID, err, u.ID)
		}
	}
	if !is(u.ID) || is(other.ID) || is(uuid.New()) {
		t.Errorf("after grant: admin %v, other %v, unknown %v; want true, false, false", is(u.ID), is(other.ID), is(uuid.New()))
	}
	if err := s.DisableUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if is(u.ID) {
		t.Error("a disabled platform admin counts")
	}
	if err := s.EnableUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if !is(u.ID) {
		t.Error("a re-enabled platform admin does not count")
	}
	if _, was, err := s.RevokePlatformAdmin(ctx, u.Email); err != nil || !was {
		t.Fatalf("RevokePlatformAdmin = %v, %v; want true, nil", was, err)
	}
	if is(u.ID) {
		t.Error("still a platform admin after the revoke")
	}
	if _, was, err := s.RevokePlatformAdmin(ctx, u.Email); err != nil || was {
		t.Errorf("RevokePlatformAdmin again = %v, %v; want false, nil", was, err)
	}
	if _, err := s.GrantPlatformAdmin(ctx, uniqueEmail()); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("GrantPlatformAdmin of an unknown address = %v, want ErrUserNotFound", err)
	}
	if _, _, err := s.RevokePlatformAdmin(ctx, uniqueEmail()); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("RevokePlatformAdmin of an unknown address = %v, want ErrUserNotFound", err)
	}
}

// TestDisableEnableUser: disabling and enabling record a security event
// each, once per change; OnDisable runs on every disable; an unknown user
// is ErrUserNotFound.
func TestDisableEnableUser(t *testing.T) {
	var revoked []uuid.UUID
	s, _ := newTestService(t, Config{OnDisable: func(_ context.Context, id uuid.UUID) error {
		revoked = append(revoked, id)
		return nil
	}})
	ctx := WithOrigin(t.Context(), Origin{IP: "192.0.2.1", RequestID: "req-admin"})
	u := signUp(t, s)
	kinds := func() []string {
		t.Helper()
		events, err := s.SecurityEvents(ctx, u.ID, time.Time{}, uuid.Nil, 50)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range events {
			if e.Kind == EventAccountDisabled || e.Kind == EventAccountEnabled {
				out = append(out, e.Kind)
			}
		}
		return out
	}
	for _, step := range []func(context.Context, uuid.UUID) error{s.DisableUser, s.DisableUser, s.EnableUser, s.EnableUser, s.DisableUser} {
		if err := step(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	// Newest first; the repeated calls changed nothing and recorded nothing.
	if diff := cmp.Diff([]string{EventAccountDisabled, EventAccountEnabled, EventAccountDisabled}, kinds()); diff != "" {
		t.Errorf("security events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]uuid.UUID{u.ID, u.ID, u.ID}, revoked); diff != "" {
		t.Errorf("OnDisable calls (-want +got):\n%s", diff)
	}
	got, err := s.User(ctx, u.ID)
	if err != nil || !got.Disabled {
		t.Errorf("User = %+v, %v; want disabled", got, err)
	}
	if _, err := s.Authenticate(ctx, u.Email, goodPassword); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("Authenticate while disabled = %v, want ErrInvalidCredentials", err)
	}
	if err := s.EnableUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, u.Email, goodPassword); err != nil {
		t.Errorf("Authenticate after EnableUser = %v", err)
	}
	for name, f := range map[string]func(context.Context, uuid.UUID) error{"DisableUser": s.DisableUser, "EnableUser": s.EnableUser} {
		if err := f(ctx, uuid.New()); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("%s of an unknown user = %v, want ErrUserNotFound", name, err)
		}
	}
}

// TestAdminSearch: tenants by slug, name or id, users by email, name or
// id, in any letter case, newest first, in pages that add up to the whole
// list; LIKE's wildcards are plain characters; a bad query is refused.
func TestAdminSearch(t *testing.T) {
	s, _ := newTestService(t, Config{})
	ctx := t.Context()
	tag := strings.ToLower(uuid.NewString()[:8]) // only this test's rows hold it
	var users []User
	var tenants []Tenant
	for i := range 3 {
		u, err := s.SignUp(ctx, "search-"+tag+"-"+string(rune('a'+i))+"@example.com", goodPassword, "Searcher "+strings.ToUpper(tag))
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
		if err := s.MarkEmailVerified(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		tn, err := s.CreateTenant(ctx, u.ID, "Org "+strings.ToUpper(tag)+" "+string(rune('A'+i)), "org-"+tag+"-"+string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		tenants = append(tenants, tn)
	}
	if err := s.AddMember(ctx, tenants[2].ID, users[0].ID, RoleMember); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GrantPlatformAdmin(ctx, users[1].Email); err != nil {
		t.Fatal(err)
	}
	if err := s.DisableUser(ctx, users[2].ID); err != nil {
		t.Fatal(err)
	}

	tenantIDs := func(list []AdminTenant) []uuid.UUID {
		out := make([]uuid.UUID, len(list))
		for i, tn := range list {
			out[i] = tn.ID
		}
		return out
	}
	userIDs := func(list []AdminUser) []uuid.UUID {
		out := make([]uuid.UUID, len(list))
		for i, u := range list {
			out[i] = u.ID
		}
		return out
	}
	newestFirst := func(ids ...uuid.UUID) []uuid.UUID { return ids }

	t.Run("tenants", func(t *testing.T) {
		for _, q := range []string{tag, strings.ToUpper(tag), "org-" + tag, "ORG " + strings.ToUpper(tag)} {
			got, err := s.AdminSearchTenants(ctx, q, time.Time{}, uuid.Nil, 10)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(newestFirst(tenants[2].ID, tenants[1].ID, tenants[0].ID), tenantIDs(got)); diff != "" {
				t.Errorf("q=%q (-want +got):\n%s", q, diff)
			}
			if len(got) == 3 && (got[0].Members != 2 || got[2].Members != 1 || got[0].Slug != tenants[2].Slug) {
				t.Errorf("q=%q: %+v", q, got)
			}
		}
		got, err := s.AdminSearchTenants(ctx, strings.ToUpper(tenants[1].ID.String()), time.Time{}, uuid.Nil, 10)
		if err != nil || len(got) != 1 || got[0].ID != tenants[1].ID {
			t.Errorf("by id = %v, %v", tenantIDs(got), err)
		}
		for _, q := range []string{"org-%" + tag, "org_" + tag, "no such " + tag} {
			if got, err := s.AdminSearchTenants(ctx, q, time.Time{}, uuid.Nil, 10); err != nil || len(got) != 0 {
				t.Errorf("q=%q = %v, %v; want nothing", q, tenantIDs(got), err)
			}
		}
		// Pages: two, then one, then none.
		p1, err := s.AdminSearchTenants(ctx, tag, time.Time{}, uuid.Nil, 2)
		if err != nil || len(p1) != 2 {
			t.Fatalf("page 1 = %v, %v", tenantIDs(p1), err)
		}
		p2, err := s.AdminSearchTenants(ctx, tag, p1[1].CreatedAt, p1[1].ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(newestFirst(tenants[0].ID), tenantIDs(p2)); diff != "" {
			t.Errorf("page 2 (-want +got):\n%s", diff)
		}
		if all, err := s.AdminSearchTenants(ctx, "", time.Time{}, uuid.Nil, 500); err != nil || len(all) < 3 {
			t.Errorf("every tenant = %d, %v", len(all), err)
		}
	})

	t.Run("users", func(t *testing.T) {
		for _, q := range []string{"search-" + tag, "SEARCHER " + strings.ToUpper(tag)} {
			got, err := s.AdminSearchUsers(ctx, q, time.Time{}, uuid.Nil, 10)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(newestFirst(users[2].ID, users[1].ID, users[0].ID), userIDs(got)); diff != "" {
				t.Errorf("q=%q (-want +got):\n%s", q, diff)
			}
			if len(got) == 3 && (!got[0].Disabled || got[0].PlatformAdmin || !got[1].PlatformAdmin || got[1].Disabled || !got[2].EmailVerified) {
				t.Errorf("q=%q: %+v", q, got)
			}
		}
		got, err := s.AdminSearchUsers(ctx, users[0].ID.String(), time.Time{}, uuid.Nil, 10)
		if err != nil || len(got) != 1 || got[0].ID != users[0].ID || got[0].Email != users[0].Email {
			t.Errorf("by id = %+v, %v", got, err)
		}
		p1, err := s.AdminSearchUsers(ctx, tag, time.Time{}, uuid.Nil, 1)
		if err != nil || len(p1) != 1 {
			t.Fatalf("page 1 = %v, %v", userIDs(p1), err)
		}
		p2, err := s.AdminSearchUsers(ctx, tag, p1[0].CreatedAt, p1[0].ID, 5)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(newestFirst(users[1].ID, users[0].ID), userIDs(p2)); diff != "" {
			t.Errorf("page 2 (-want +got):\n%s", diff)
		}
	})

	t.Run("bad queries", func(t *testing.T) {
		for _, q := range []string{strings.Repeat("a", MaxAdminSearchBytes+1), "a\x00b", "\xff"} {
			if _, err := s.AdminSearchTenants(ctx, q, time.Time{}, uuid.Nil, 10); !errors.Is(err, ErrInvalidSearch) {
				t.Errorf("AdminSearchTenants(%q) = %v, want ErrInvalidSearch", q, err)
			}
			if _, err := s.AdminSearchUsers(ctx, q, time.Time{}, uuid.Nil, 10); !errors.Is(err, ErrInvalidSearch) {
				t.Errorf("AdminSearchUsers(%q) = %v, want ErrInvalidSearch", q, err)
			}
		}
	})
}

// adminRole runs AdminQuery on db, as tenancy's pipeline does for
// RunAsAdmin.
func adminRole(ctx context.Context, s *Service, db DBTX, userID uuid.UUID) (Role, bool, error) {
	q, args := s.AdminQuery(userID)
	return s.ScanAdminRole(ctx, userID, db.QueryRow(ctx, q, args...))
}

// TestAdminQuery: app.admin_access_role admits a member with their own
// role and no admin access, a platform admin who is not a member as admin
// with admin access, and refuses everyone else as app.member_role does.
func TestAdminQuery(t *testing.T) {
	s, _ := newTestService(t, Config{})
	pool := tenantPool(t)
	ctx := t.Context()
	owner, viewer, root, memberRoot, outsider, disabledRoot := signUp(t, s), signUp(t, s), signUp(t, s), signUp(t, s), signUp(t, s), signUp(t, s)
	tn := createTenant(t, s, owner.ID)
	if err := s.AddMember(ctx, tn.ID, viewer.ID, RoleViewer); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, tn.ID, memberRoot.ID, RoleMember); err != nil {
		t.Fatal(err)
	}
	for _, u := range []User{root, memberRoot, disabledRoot} {
		if _, err := s.GrantPlatformAdmin(ctx, u.Email); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DisableUser(ctx, disabledRoot.ID); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		scope     uuid.UUID
		user      uuid.UUID
		want      Role
		wantAdmin bool
		wantErr   error
	}{
		{"owner", tn.ID, owner.ID, RoleOwner, false, nil},
		{"viewer", tn.ID, viewer.ID, RoleViewer, false, nil},
		{"platform admin, not a member", tn.ID, root.ID, RoleAdmin, true, nil},
		{"platform admin and member", tn.ID, memberRoot.ID, RoleMember, false, nil},
		{"non-member", tn.ID, outsider.ID, "", false, ErrNotMember},
		{"unknown user", tn.ID, uuid.New(), "", false, ErrNotMember},
		{"disabled platform admin", tn.ID, disabledRoot.ID, "", false, ErrUserNotFound},
		{"platform admin, no such tenant", uuid.New(), root.ID, "", false, ErrNotMember},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inTenant(t, pool, tt.scope, func(ctx context.Context, tx pgx.Tx) {
				got, admin, err := adminRole(ctx, s, tx, tt.user)
				if got != tt.want || admin != tt.wantAdmin || !errors.Is(err, tt.wantErr) {
					t.Errorf("= %q, %v, %v; want %q, %v, %v", got, admin, err, tt.want, tt.wantAdmin, tt.wantErr)
				}
			})
		})
	}
	t.Run("no tenant scope fails closed", func(t *testing.T) {
		if _, _, err := adminRole(ctx, s, pool, root.ID); !errors.Is(err, ErrNotMember) {
			t.Errorf("outside a tenant transaction = %v, want ErrNotMember", err)
		}
	})
	t.Run("a revoked admin is refused at once", func(t *testing.T) {
		if _, _, err := s.RevokePlatformAdmin(ctx, root.Email); err != nil {
			t.Fatal(err)
		}
		inTenant(t, pool, tn.ID, func(ctx context.Context, tx pgx.Tx) {
			if _, _, err := adminRole(ctx, s, tx, root.ID); !errors.Is(err, ErrNotMember) {
				t.Errorf("after the revoke = %v, want ErrNotMember", err)
			}
		})
	})
}
