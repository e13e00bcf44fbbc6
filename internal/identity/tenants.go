package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// CreateTenant creates a tenant with ownerID as its owner, both in one
// transaction. It returns validation.Errors for a bad name or slug (see
// normalizeSlug: DNS-label shaped, not reserved, not UUID-shaped),
// ErrSlugTaken, and ErrUserNotFound when the owner does not exist or is
// disabled (then no tenant is created), ErrEmailUnverified when their
// address is not verified (unless Config.AllowUnverifiedEmail). The owner's row is locked for the
// transaction, so a concurrent DisableUser takes effect after it.
func (s *Service) CreateTenant(ctx context.Context, ownerID uuid.UUID, name, slug string) (Tenant, error) {
	var problems validation.Errors
	name, problem := normalizeName(name)
	if problem != "" {
		problems.Add("name", problem)
	}
	slug, problem = normalizeSlug(slug)
	if problem != "" {
		problems.Add("slug", problem)
	}
	if err := problems.Err(); err != nil {
		return Tenant{}, err
	}

	var t Tenant
	err := s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		// Owner first: a disabled or unknown owner leaves nothing behind,
		// and the lock keeps them enabled until this commits.
		owner, err := q.LockEnabledUser(ctx, ownerID)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrUserNotFound
		}
		if err != nil {
			return fmt.Errorf("check owner: %w", err)
		}
		if owner.EmailVerifiedAt == nil && !s.cfg.AllowUnverifiedEmail {
			return ErrEmailUnverified
		}
		row, err := q.CreateTenant(ctx, identitydb.CreateTenantParams{Slug: slug, Name: name})
		if err != nil {
			return fmt.Errorf("insert tenant: %w", mapDBError(err))
		}
		if err := q.CreateMembership(ctx, identitydb.CreateMembershipParams{
			TenantID: row.ID, UserID: ownerID, Role: string(RoleOwner),
		}); err != nil {
			return fmt.Errorf("insert owner membership: %w", mapDBError(err))
		}
		t = tenantFromRow(row)
		return nil
	})
	if err != nil {
		return Tenant{}, fmt.Errorf("create tenant: %w", err)
	}
	s.forgetUser(ownerID)
	return t, nil
}

// Tenant looks a tenant up by ref, which is its id (any form uuid.Parse
// accepts) or its slug; slugs never look like ids. ErrTenantNotFound when
// there is none, also for a ref that is neither (no query runs then).
func (s *Service) Tenant(ctx context.Context, ref string) (Tenant, error) {
	q := identitydb.New(s.pool)
	var (
		row identitydb.Tenant
		err error
	)
	if id, perr := uuid.Parse(ref); perr == nil {
		row, err = q.GetTenantByID(ctx, id)
	} else if slugPattern.MatchString(ref) {
		row, err = q.GetTenantBySlug(ctx, ref)
	} else {
		return Tenant{}, ErrTenantNotFound
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, ErrTenantNotFound
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("get tenant: %w", err)
	}
	return tenantFromRow(row), nil
}

// MemberTenant returns the id of the tenant ref names (its id, in any form
// uuid.Parse accepts, or its slug) when userID is an enabled member of it.
// One query resolves the ref and checks the membership together, so a
// tenant the user may not see and one that does not exist cost the same
// database work and fail the same: ErrTenantNotFound. So does a ref that is
// neither an id nor a slug, without a query (its form is no secret).
func (s *Service) MemberTenant(ctx context.Context, userID uuid.UUID, ref string) (uuid.UUID, error) {
	arg := identitydb.GetMemberTenantIDParams{UserID: userID}
	if id, err := uuid.Parse(ref); err == nil {
		arg.TenantID = uuid.NullUUID{UUID: id, Valid: true}
	} else if slugPattern.MatchString(ref) {
		arg.Slug = pgtype.Text{String: ref, Valid: true}
	} else {
		return uuid.Nil, ErrTenantNotFound
	}
	id, err := identitydb.New(s.pool).GetMemberTenantID(ctx, arg)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, ErrTenantNotFound
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("resolve tenant %q for user %s: %w", ref, userID, err)
	}
	return id, nil
}

func tenantFromRow(r identitydb.Tenant) Tenant {
	return Tenant{ID: r.ID, Slug: r.Slug, Name: r.Name, CreatedAt: r.CreatedAt}
}
