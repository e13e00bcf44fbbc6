package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
	"github.com/tenantkit/tenantkit/internal/problem"
)

// Platform administration (issue 10). Operators make users platform admins
// (GrantPlatformAdmin, from `server admins grant`; nothing in the API can);
// a platform admin searches tenants and users and disables and enables
// users, and acts inside a tenant they are not a member of only through
// the opt-in membership check (AdminQuery), which tenancy records in that
// tenant's audit log.

// MaxAdminSearchBytes bounds the text AdminSearchTenants and
// AdminSearchUsers look for.
const MaxAdminSearchBytes = 200

// ErrInvalidSearch: the search text is too long or not text.
var ErrInvalidSearch = problem.New(http.StatusBadRequest, "invalid_query",
	fmt.Sprintf("q must be valid UTF-8 text of at most %d bytes.", MaxAdminSearchBytes))

// AdminTenant is a tenant as a platform admin's search shows it.
type AdminTenant struct {
	Tenant
	Members int64
}

// AdminUser is a user as a platform admin's search shows it.
type AdminUser struct {
	User
	PlatformAdmin bool
}

// GrantPlatformAdmin makes the user with email (any letter case) a
// platform admin; granting twice keeps the first grant. ErrUserNotFound
// when no user has the address. A disabled user is granted, but counts as
// an admin only once enabled.
func (s *Service) GrantPlatformAdmin(ctx context.Context, email string) (User, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return User{}, err
	}
	if err := identitydb.New(s.pool).GrantPlatformAdmin(ctx, u.ID); err != nil {
		return User{}, fmt.Errorf("grant platform admin to %s: %w", u.ID, mapDBError(err))
	}
	return u, nil
}

// RevokePlatformAdmin makes the user with email an ordinary user again,
// from their next request on, and reports whether they were a platform
// admin. ErrUserNotFound when no user has the address.
func (s *Service) RevokePlatformAdmin(ctx context.Context, email string) (User, bool, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return User{}, false, err
	}
	n, err := identitydb.New(s.pool).RevokePlatformAdmin(ctx, u.ID)
	if err != nil {
		return User{}, false, fmt.Errorf("revoke platform admin from %s: %w", u.ID, err)
	}
	return u, n > 0, nil
}

// IsPlatformAdmin reports whether the user is a platform admin and
// enabled.
func (s *Service) IsPlatformAdmin(ctx context.Context, userID uuid.UUID) (bool, error) {
	ok, err := identitydb.New(s.pool).IsPlatformAdmin(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("is %s a platform admin: %w", userID, err)
	}
	return ok, nil
}

// cleanSearch checks a search text and trims it ("" matches everything).
func cleanSearch(query string) (string, error) {
	if len(query) > MaxAdminSearchBytes || !utf8.ValidString(query) || strings.ContainsRune(query, 0) {
		return "", ErrInvalidSearch
	}
	return strings.TrimSpace(query), nil
}

// AdminSearchTenants returns the tenants whose slug or name contains query
// (in any letter case) or whose id it is, every tenant for "", with their
// member counts, newest first: at most limit of them, older than
// (beforeAt, beforeID) when beforeAt is not zero. ErrInvalidSearch for a
// query longer than MaxAdminSearchBytes or not text. For platform admins
// only: the caller checks IsPlatformAdmin.
func (s *Service) AdminSearchTenants(ctx context.Context, query string, beforeAt time.Time, beforeID uuid.UUID, limit int) ([]AdminTenant, error) {
	query, err := cleanSearch(query)
	if err != nil {
		return nil, err
	}
	rows, err := identitydb.New(s.pool).AdminSearchTenants(ctx, identitydb.AdminSearchTenantsParams{
		Query: query, HasCursor: !beforeAt.IsZero(), BeforeCreatedAt: beforeAt, BeforeID: beforeID, MaxRows: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("search tenants: %w", err)
	}
	out := make([]AdminTenant, len(rows))
	for i, r := range rows {
		out[i] = AdminTenant{Tenant: Tenant{ID: r.ID, Slug: r.Slug, Name: r.Name, CreatedAt: r.CreatedAt}, Members: r.Members}
	}
	return out, nil
}

// AdminSearchUsers returns the users whose email or name contains query
// (in any letter case) or whose id it is, every user for "", newest
// first, disabled ones included: at most limit of them, older than
// (beforeAt, beforeID) when beforeAt is not zero. ErrInvalidSearch as for
// AdminSearchTenants. For platform admins only: the caller checks
// IsPlatformAdmin.
func (s *Service) AdminSearchUsers(ctx context.Context, query string, beforeAt time.Time, beforeID uuid.UUID, limit int) ([]AdminUser, error) {
	query, err := cleanSearch(query)
	if err != nil {
		return nil, err
	}
	rows, err := identitydb.New(s.pool).AdminSearchUsers(ctx, identitydb.AdminSearchUsersParams{
		Query: query, HasCursor: !beforeAt.IsZero(), BeforeCreatedAt: beforeAt, BeforeID: beforeID, MaxRows: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	out := make([]AdminUser, len(rows))
	for i, r := range rows {
		out[i] = AdminUser{
			User: User{ID: r.ID, Email: r.Email, Name: r.Name, CreatedAt: r.CreatedAt,
				Disabled: r.DisabledAt != nil, EmailVerified: r.EmailVerifiedAt != nil},
			PlatformAdmin: r.PlatformAdmin,
		}
	}
	return out, nil
}

// EnableUser lets a disabled user sign in and act in their tenants again,
// and records EventAccountEnabled in their security log when they were
// disabled. Their sessions do not come back: DisableUser revoked them. It
// is idempotent; ErrUserNotFound only when there is no such user.
func (s *Service) EnableUser(ctx context.Context, id uuid.UUID) error {
	if _, err := s.setDisabled(ctx, id, false); err != nil {
		return fmt.Errorf("enable user %s: %w", id, err)
	}
	return nil
}

// setDisabled disables or enables the user and, when that changed
// anything, records it in their security log in the same transaction. It
// reports whether it changed anything; ErrUserNotFound for no such user.
func (s *Service) setDisabled(ctx context.Context, id uuid.UUID, disable bool) (bool, error) {
	var changed bool
	err := s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		wasDisabled, err := q.SetUserDisabled(ctx, identitydb.SetUserDisabledParams{Disable: disable, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrUserNotFound
		}
		if err != nil {
			return err
		}
		if changed = wasDisabled != disable; !changed {
			return nil
		}
		kind := EventAccountEnabled
		if disable {
			kind = EventAccountDisabled
		}
		return recordSecurityEvent(ctx, q, id, kind)
	})
	if changed && err == nil {
		s.forgetUser(id)
	}
	return changed, err
}

// The SQLSTATEs app.admin_access_role raises are app.member_role's
// (disabledMemberCode, notMemberCode).

// AdminQuery is the membership check of a platform admin's opt-in tenant
// transaction, in place of CurrentRoleQuery: userID's role in the
// transaction's tenant when they are an enabled member of it, else the
// admin role when they are an enabled platform admin and the tenant
// exists; it fails like CurrentRoleQuery otherwise. ScanAdminRole reads
// it.
func (s *Service) AdminQuery(userID uuid.UUID) (string, []any) {
	return "SELECT role, admin_access FROM app.admin_access_role($1)", []any{userID}
}

// ScanAdminRole reads the result of AdminQuery for userID: the role, and
// whether it is a platform admin's access to a tenant they are not a
// member of (which the caller must record). Errors as ScanCurrentRole's:
// ErrNotMember for anyone who is neither, ErrUserNotFound for a disabled
// member or admin (whose sessions Config.OnDisable revokes).
func (s *Service) ScanAdminRole(ctx context.Context, userID uuid.UUID, row pgx.Row) (Role, bool, error) {
	var (
		role  string
		admin bool
	)
	if err := row.Scan(&role, &admin); err != nil {
		return "", false, s.membershipCheckErr(ctx, userID, err)
	}
	return Role(role), admin, nil
}
