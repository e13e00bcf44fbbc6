package identity

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/dbtest"
	"github.com/tenantkit/tenantkit/internal/validation"
)

func TestUserTenantsListsOnlyOwn(t *testing.T) {
	s, _ := newTestService(t, Config{})
	alice, bob, carol := signUp(t, s), signUp(t, s), signUp(t, s)
	ta := createTenant(t, s, alice.ID)
	tb := createTenant(t, s, bob.ID)
	if err := s.AddMember(t.Context(), ta.ID, bob.ID, RoleAdmin); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		user uuid.UUID
		want []TenantRole
	}{
		{"alice", alice.ID, []TenantRole{{ta, RoleOwner}}},
		{"bob", bob.ID, sortByName([]TenantRole{{ta, RoleAdmin}, {tb, RoleOwner}})},
		{"carol, in no tenant", carol.ID, []TenantRole{}},
		{"unknown user", uuid.New(), []TenantRole{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.UserTenants(t.Context(), tt.user)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("UserTenants (-want +got):\n%s", diff)
			}
		})
	}

	if err := s.DisableUser(t.Context(), bob.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserTenants(t.Context(), bob.ID)
	if err != nil || len(got) != 0 {
		t.Errorf("UserTenants(disabled) = %v, %v; want none", got, err)
	}
}

func sortByName(l []TenantRole) []TenantRole {
	if len(l) == 2 && (l[0].Name > l[1].Name || (l[0].Name == l[1].Name && l[0].ID.String() > l[1].ID.String())) {
		l[0], l[1] = l[1], l[0]
	}
	return l
}

// currentRole runs CurrentRoleQuery on db, as tenancy's pipeline does.
func currentRole(ctx context.Context, s *Service, db DBTX, userID uuid.UUID) (Role, error) {
	q, args := s.CurrentRoleQuery(userID)
	return s.ScanCurrentRole(ctx, userID, db.QueryRow(ctx, q, args...))
}

// TestCurrentRole: app.member_role answers for the transaction's tenant
// only, refuses non-members (ErrNotMember) and disabled members
// (ErrUserNotFound), and sees a removal at once.
func TestCurrentRole(t *testing.T) {
	s, _ := newTestService(t, Config{})
	pool := tenantPool(t)
	owner, member, outsider, disabled := signUp(t, s), signUp(t, s), signUp(t, s), signUp(t, s)
	tn := createTenant(t, s, owner.ID)
	other := createTenant(t, s, outsider.ID)
	for _, u := range []User{member, disabled} {
		if err := s.AddMember(t.Context(), tn.ID, u.ID, RoleMember); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DisableUser(t.Context(), disabled.ID); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		scope   uuid.UUID // the tenant the transaction is scoped to
		user    uuid.UUID
		want    Role
		wantErr error
	}{
		{"owner", tn.ID, owner.ID, RoleOwner, nil},
		{"member", tn.ID, member.ID, RoleMember, nil},
		{"non-member", tn.ID, outsider.ID, "", ErrNotMember},
		{"disabled member", tn.ID, disabled.ID, "", ErrUserNotFound},
		{"unknown user", tn.ID, uuid.New(), "", ErrNotMember},
		// outsider owns other; owner's membership is in tn only.
		{"this tenant's owner, from another tenant's scope", other.ID, owner.ID, "", ErrNotMember},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inTenant(t, pool, tt.scope, func(ctx context.Context, tx pgx.Tx) {
				got, err := currentRole(ctx, s, tx, tt.user)
				if got != tt.want || !errors.Is(err, tt.wantErr) {
					t.Errorf("role = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
				}
			})
		})
	}

	t.Run("no tenant scope fails closed", func(t *testing.T) {
		if _, err := currentRole(t.Context(), s, pool, owner.ID); !errors.Is(err, ErrNotMember) {
			t.Errorf("outside a tenant transaction = %v, want ErrNotMember", err)
		}
	})

	t.Run("removal takes effect at once", func(t *testing.T) {
		if err := s.RemoveMember(t.Context(), tn.ID, member.ID); err != nil {
			t.Fatal(err)
		}
		inTenant(t, pool, tn.ID, func(ctx context.Context, tx pgx.Tx) {
			if _, err := currentRole(ctx, s, tx, member.ID); !errors.Is(err, ErrNotMember) {
				t.Errorf("after RemoveMember = %v, want ErrNotMember", err)
			}
		})
	})
}

func TestMembers(t *testing.T) {
	s, _ := newTestService(t, Config{})
	pool := tenantPool(t)
	owner, admin, outsider, disabled := signUp(t, s), signUp(t, s), signUp(t, s), signUp(t, s)
	tn := createTenant(t, s, owner.ID)
	other := createTenant(t, s, outsider.ID)
	if err := s.AddMember(t.Context(), tn.ID, admin.ID, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	// A disabled user is no longer effectively a member: left out.
	if err := s.AddMember(t.Context(), tn.ID, disabled.ID, RoleMember); err != nil {
		t.Fatal(err)
	}
	if err := s.DisableUser(t.Context(), disabled.ID); err != nil {
		t.Fatal(err)
	}

	want := []Member{
		{UserID: owner.ID, Email: owner.Email, Name: owner.Name, Role: RoleOwner},
		{UserID: admin.ID, Email: admin.Email, Name: admin.Name, Role: RoleAdmin},
	}
	if want[0].Email > want[1].Email {
		want[0], want[1] = want[1], want[0]
	}
	inTenant(t, pool, tn.ID, func(ctx context.Context, tx pgx.Tx) {
		got, err := s.Members(ctx, tx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Members (-want +got):\n%s", diff)
		}
	})

	t.Run("as another tenant", func(t *testing.T) {
		inTenant(t, pool, other.ID, func(ctx context.Context, tx pgx.Tx) {
			got, err := s.Members(ctx, tx, tn.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 0 {
				t.Errorf("Members of tn from other's transaction = %v, want none", got)
			}
		})
	})

	t.Run("no tenant scope", func(t *testing.T) {
		got, err := s.Members(t.Context(), pool, tn.ID)
		if err != nil || len(got) != 0 {
			t.Errorf("Members outside a tenant transaction = %v, %v; want none", got, err)
		}
	})
}

func TestAddRemoveMemberErrors(t *testing.T) {
	s, _ := newTestService(t, Config{})
	owner, user := signUp(t, s), signUp(t, s)
	tn := createTenant(t, s, owner.ID)

	if err := s.AddMember(t.Context(), tn.ID, user.ID, Role("superuser")); !isFieldProblem(err, "role") {
		t.Errorf("AddMember(bad role) = %v, want a role field problem", err)
	}
	if err := s.AddMember(t.Context(), uuid.New(), user.ID, RoleMember); !errors.Is(err, ErrTenantNotFound) {
		t.Errorf("AddMember(unknown tenant) = %v, want ErrTenantNotFound", err)
	}
	if err := s.AddMember(t.Context(), tn.ID, uuid.New(), RoleMember); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("AddMember(unknown user) = %v, want ErrUserNotFound", err)
	}
	if err := s.AddMember(t.Context(), tn.ID, owner.ID, RoleMember); !errors.Is(err, ErrAlreadyMember) {
		t.Errorf("AddMember(existing) = %v, want ErrAlreadyMember", err)
	}
	if err := s.RemoveMember(t.Context(), tn.ID, user.ID); !errors.Is(err, ErrNotMember) {
		t.Errorf("RemoveMember(non-member) = %v, want ErrNotMember", err)
	}
	if err := s.RemoveMember(t.Context(), uuid.New(), owner.ID); !errors.Is(err, ErrNotMember) {
		t.Errorf("RemoveMember(unknown tenant) = %v, want ErrNotMember", err)
	}
}

func isFieldProblem(err error, field string) bool {
	fe, ok := errors.AsType[validation.Errors](err)
	return ok && len(fe) == 1 && fe[0].Field == field
}

// TestTenantSettingIsTransactionLocal: the identity calls that scope a
// transaction leave no app.tenant_id or app.user_id on pooled connections.
func TestTenantSettingIsTransactionLocal(t *testing.T) {
	s, _ := newTestService(t, Config{MaxConcurrentHashes: 1})
	owner := signUp(t, s)
	tn := createTenant(t, s, owner.ID)
	if _, err := s.UserTenants(t.Context(), owner.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(t.Context(), tn.ID, uuid.New()); !errors.Is(err, ErrNotMember) {
		t.Fatal(err)
	}
	// Check every idle connection of the service's pool.
	conns := s.pool.AcquireAllIdle(t.Context())
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	if len(conns) == 0 {
		t.Fatal("no idle connections to check")
	}
	for _, c := range conns {
		var tenant, user string
		err := c.QueryRow(t.Context(), "SELECT coalesce(current_setting('app.tenant_id', true), ''), coalesce(current_setting('app.user_id', true), '')").Scan(&tenant, &user)
		if err != nil {
			t.Fatal(err)
		}
		if tenant != "" || user != "" {
			t.Errorf("pooled connection carries app.tenant_id=%q app.user_id=%q", tenant, user)
		}
	}
}

// TestListsAreBounded: UserTenants and Members return at most MaxListed
// rows, however many there are.
func TestListsAreBounded(t *testing.T) {
	s, _ := newTestService(t, Config{})
	owner := dbtest.New(t).Owner // bulk fixtures; RLS still asks for app.tenant_id
	const n = MaxListed + 1

	t.Run("UserTenants", func(t *testing.T) {
		u := signUp(t, s)
		bulk(t, owner, `
DO $$
DECLARE tid uuid;
BEGIN
	FOR i IN 1..current_setting('test.n')::int LOOP
		INSERT INTO tenants (slug, name) VALUES (current_setting('test.prefix') || '-' || i, 'Bulk ' || i)
		RETURNING id INTO tid;
		PERFORM set_config('app.tenant_id', tid::text, true);
		INSERT INTO memberships (tenant_id, user_id, role) VALUES (tid, current_setting('test.user_id')::uuid, 'member');
	END LOOP;
END $$`, n, uniqueSlug(), u.ID, uuid.Nil)
		got, err := s.UserTenants(t.Context(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != MaxListed {
			t.Errorf("UserTenants returned %d tenants, want MaxListed = %d", len(got), MaxListed)
		}
	})

	t.Run("Members", func(t *testing.T) {
		tn := createTenant(t, s, signUp(t, s).ID)
		bulk(t, owner, `
WITH u AS (
	INSERT INTO users (email, name)
	SELECT current_setting('test.prefix') || '-' || i || '@example.com', 'Bulk ' || i
	FROM generate_series(1, current_setting('test.n')::int) i
	RETURNING id
)
INSERT INTO memberships (tenant_id, user_id, role)
SELECT current_setting('app.tenant_id')::uuid, id, 'member' FROM u`, n, uniqueSlug(), uuid.Nil, tn.ID)
		inTenant(t, tenantPool(t), tn.ID, func(ctx context.Context, tx pgx.Tx) {
			got, err := s.Members(ctx, tx, tn.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != MaxListed {
				t.Errorf("Members returned %d members, want MaxListed = %d", len(got), MaxListed)
			}
		})
	})
}

// bulk runs sql in one committed transaction on pool, with test.n,
// test.prefix, test.user_id and app.tenant_id set transaction-locally for
// it to read.
func bulk(t *testing.T, pool *pgxpool.Pool, sql string, n int, prefix string, userID, tenantID uuid.UUID) {
	t.Helper()
	err := pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(t.Context(), `SELECT set_config('test.n', $1::int::text, true), set_config('test.prefix', $2, true),
			set_config('test.user_id', $3::uuid::text, true), set_config('app.tenant_id', $4::uuid::text, true)`,
			n, prefix, userID, tenantID)
		if err != nil {
			return err
		}
		_, err = tx.Exec(t.Context(), sql)
		return err
	})
	if err != nil {
		t.Fatalf("bulk fixtures: %v", err)
	}
}
