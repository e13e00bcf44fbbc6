package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
	"github.com/tenantkit/tenantkit/internal/problem"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// ErrTransferToSelf: an owner tried to transfer the tenant to themselves.
var ErrTransferToSelf = problem.New(http.StatusUnprocessableEntity, "transfer_to_self", "You own this tenant already: transfer it to another member.")

// CurrentTenant returns tenantID on db, the caller's transaction scoped
// to it (as Members). A transaction scoped to another tenant sees none:
// ErrNotMember.
func (s *Service) CurrentTenant(ctx context.Context, db DBTX, tenantID uuid.UUID) (Tenant, error) {
	row, err := identitydb.New(db).GetTenantByID(ctx, tenantID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, ErrNotMember
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("get tenant %s: %w", tenantID, err)
	}
	return tenantFromRow(row), nil
}

// TenantUpdate is a change of a tenant's name, slug or both; a nil field
// stays as it is.
type TenantUpdate struct {
	Name, Slug *string
}

// UpdateTenant renames tenantID, or changes its slug, as actor, who must
// be its owner (ErrRoleForbidden otherwise; ErrNotMember for no member),
// and records tenant.renamed with the old and the new name and slug. The
// id stays; the old slug names no tenant any more. It returns the tenant
// as it is now, validation.Errors as CreateTenant does (and when u changes
// nothing), and ErrSlugTaken. A change to what the tenant has already
// writes nothing and records no event.
func (s *Service) UpdateTenant(ctx context.Context, actor Actor, tenantID uuid.UUID, u TenantUpdate) (Tenant, error) {
	var (
		problems validation.Errors
		arg      = identitydb.UpdateTenantParams{ID: tenantID}
	)
	if u.Name == nil && u.Slug == nil {
		problems.Add("name", "name, slug or both are required")
	}
	if u.Name != nil {
		name, problem := normalizeName(*u.Name)
		if problem != "" {
			problems.Add("name", problem)
		}
		arg.Name = pgtype.Text{String: name, Valid: true}
	}
	if u.Slug != nil {
		slug, problem := normalizeSlug(*u.Slug)
		if problem != "" {
			problems.Add("slug", problem)
		}
		arg.Slug = pgtype.Text{String: slug, Valid: true}
	}
	if err := problems.Err(); err != nil {
		return Tenant{}, err
	}

	var t Tenant
	err := s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		old, actorRole, err := lockTenantAs(ctx, q, tenantID, actor.UserID)
		if err != nil {
			return err
		}
		if actorRole != RoleOwner {
			return ErrRoleForbidden
		}
		if (!arg.Name.Valid || arg.Name.String == old.Name) && (!arg.Slug.Valid || arg.Slug.String == old.Slug) {
			t = tenantFromRow(old)
			return nil
		}
		row, err := q.UpdateTenant(ctx, arg)
		if err != nil {
			return fmt.Errorf("update tenant: %w", mapDBError(err))
		}
		t = tenantFromRow(row)
		return recordEvent(ctx, q, actor, tenantID, "tenant.renamed", tenantID.String(), map[string]any{
			"from": map[string]string{"name": old.Name, "slug": old.Slug},
			"to":   map[string]string{"name": row.Name, "slug": row.Slug},
		})
	})
	if err != nil {
		return Tenant{}, fmt.Errorf("update tenant %s: %w", tenantID, err)
	}
	s.forgetTenant(tenantID)
	return t, nil
}

// TransferTenant makes userID an owner of tenantID and actor, who must be
// an owner of it (ErrRoleForbidden otherwise), an admin, in one
// transaction, and records tenant.transferred. userID must be an enabled
// member (ErrMemberNotFound); one who is an owner already stays one.
// ErrTransferToSelf when userID is the actor.
func (s *Service) TransferTenant(ctx context.Context, actor Actor, tenantID, userID uuid.UUID) error {
	err := s.changeMembership(ctx, actor, tenantID, userID, "tenant.transferred", func(q *identitydb.Queries, actorRole, role Role) (map[string]any, error) {
		if actorRole != RoleOwner {
			return nil, ErrRoleForbidden
		}
		if userID == actor.UserID {
			return nil, ErrTransferToSelf
		}
		// The new owner first: the tenant has an owner at every step.
		for _, m := range []struct {
			id   uuid.UUID
			role Role
		}{{userID, RoleOwner}, {actor.UserID, RoleAdmin}} {
			if _, err := q.UpdateMembershipRole(ctx, identitydb.UpdateMembershipRoleParams{TenantID: tenantID, UserID: m.id, Role: string(m.role)}); err != nil {
				return nil, fmt.Errorf("make %s %s: %w", m.id, m.role, mapDBError(err))
			}
		}
		return map[string]any{"from": role, "to": RoleOwner, "previous_owner_role": RoleAdmin}, nil
	})
	if err != nil {
		return fmt.Errorf("transfer tenant %s to %s: %w", tenantID, userID, err)
	}
	s.forgetUser(actor.UserID) // the new owner's entries went in changeMembership
	return nil
}

// DeleteTenant deletes tenantID and every row of it (every tenant table's
// foreign key to tenants cascades: its members, invitations, audit log
// and domain rows) as actor, who must be its owner (ErrRoleForbidden
// otherwise; ErrNotMember for no member). Sessions whose current tenant it
// was have none from then on: tenancy finds no membership, and Caller no
// current tenant. Re-authentication is the caller's to check first.
func (s *Service) DeleteTenant(ctx context.Context, actor Actor, tenantID uuid.UUID) (Tenant, error) {
	var t Tenant
	err := s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		row, actorRole, err := lockTenantAs(ctx, q, tenantID, actor.UserID)
		if err != nil {
			return err
		}
		if actorRole != RoleOwner {
			return ErrRoleForbidden
		}
		t = tenantFromRow(row)
		if _, err := q.DeleteTenant(ctx, tenantID); err != nil {
			return fmt.Errorf("delete: %w", mapDBError(err))
		}
		return nil
	})
	if err != nil {
		return Tenant{}, fmt.Errorf("delete tenant %s: %w", tenantID, err)
	}
	s.forgetTenant(tenantID)
	return t, nil
}
