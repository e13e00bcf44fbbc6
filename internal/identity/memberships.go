package identity

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// MaxListed bounds how many rows UserTenants and Members return, so one
// request's work is bounded. A user in more tenants, or a tenant with more
// members, gets the first MaxListed in the documented order.
const MaxListed = 1000

// UserTenants lists the tenants userID belongs to, with their role in each,
// ordered by name, at most MaxListed. A disabled or unknown user belongs to
// none.
func (s *Service) UserTenants(ctx context.Context, userID uuid.UUID) ([]TenantRole, error) {
	rows, err := identitydb.New(s.pool).ListUserTenants(ctx, identitydb.ListUserTenantsParams{UserID: userID, MaxRows: MaxListed})
	if err != nil {
		return nil, fmt.Errorf("list tenants of user %s: %w", userID, err)
	}
	out := make([]TenantRole, 0, len(rows))
	for _, r := range rows {
		out = append(out, TenantRole{
			Tenant: Tenant{ID: r.ID, Slug: r.Slug, Name: r.Name, CreatedAt: r.CreatedAt},
			Role:   Role(r.Role),
		})
	}
	return out, nil
}

// Members lists tenantID's members, by email, at most MaxListed, on db, the
// caller's transaction scoped to tenantID. A transaction scoped to another
// tenant sees none. Disabled users are left out: like CurrentRoleQuery, it
// answers who is effectively a member now (their membership rows remain,
// and count again if the user is re-enabled).
func (s *Service) Members(ctx context.Context, db DBTX, tenantID uuid.UUID) ([]Member, error) {
	rows, err := identitydb.New(db).ListTenantMembers(ctx, identitydb.ListTenantMembersParams{TenantID: tenantID, MaxRows: MaxListed})
	if err != nil {
		return nil, fmt.Errorf("list members of tenant %s: %w", tenantID, err)
	}
	out := make([]Member, 0, len(rows))
	for _, r := range rows {
		out = append(out, Member{UserID: r.ID, Email: r.Email, Name: r.Name, Role: Role(r.Role)})
	}
	return out, nil
}

// AddMember gives userID role in tenantID, in its own tenant-scoped
// transaction. It returns validation.Errors for an unknown role,
// ErrTenantNotFound, ErrUserNotFound, or ErrAlreadyMember.
func (s *Service) AddMember(ctx context.Context, tenantID, userID uuid.UUID, role Role) error {
	if !role.Valid() {
		return validation.Errors{{Field: "role", Detail: "must be owner, admin, member or viewer"}}
	}
	err := s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		return mapDBError(q.CreateMembership(ctx, identitydb.CreateMembershipParams{
			TenantID: tenantID, UserID: userID, Role: string(role),
		}))
	})
	if err != nil {
		return fmt.Errorf("add user %s to tenant %s: %w", userID, tenantID, err)
	}
	s.forgetUser(userID)
	return nil
}

// RemoveMember ends userID's membership in tenantID, in its own
// tenant-scoped transaction; ErrNotMember when there was none. It takes
// effect for the next CurrentRoleQuery.
func (s *Service) RemoveMember(ctx context.Context, tenantID, userID uuid.UUID) error {
	err := s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		n, err := q.DeleteMembership(ctx, identitydb.DeleteMembershipParams{TenantID: tenantID, UserID: userID})
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotMember
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove user %s from tenant %s: %w", userID, tenantID, err)
	}
	s.forgetUser(userID)
	return nil
}
