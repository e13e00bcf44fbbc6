package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
)

// Caller returns the user id and, when tenantID is not uuid.Nil and they
// are an enabled member of it, that tenant with their role (nil otherwise),
// in one query: what a request needs to say who is calling. It is User
// and a membership lookup together, and treats a disabled user like User
// does (Config.OnDisable runs).
//
// While WatchChanges runs it answers an enabled user from memory when it
// can (see callerCache): what it returns may then lag a change made on
// another server by the time that change's notification takes to arrive.
// Its answer decides nothing: a tenant request checks membership in its
// own transaction.
func (s *Service) Caller(ctx context.Context, id, tenantID uuid.UUID) (User, *TenantRole, error) {
	now := time.Now()
	var gen uint64
	if s.cache != nil {
		u, current, g, ok := s.cache.get(id, tenantID, now)
		if ok {
			return u, current, nil
		}
		gen = g
	}
	u, current, err := s.readCaller(ctx, id, tenantID)
	switch {
	case s.cache == nil || err != nil:
	case u.Disabled:
		s.cache.forgetUser(id) // what it holds for other tenants too
	default:
		s.cache.put(id, tenantID, u, current, gen, now)
	}
	return u, current, err
}

// readCaller is Caller's database read.
func (s *Service) readCaller(ctx context.Context, id, tenantID uuid.UUID) (User, *TenantRole, error) {
	arg := identitydb.GetCallerParams{ID: id}
	if tenantID != uuid.Nil {
		arg.TenantID = uuid.NullUUID{UUID: tenantID, Valid: true}
	}
	row, err := identitydb.New(s.pool).GetCaller(ctx, arg)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, nil, ErrUserNotFound
	}
	if err != nil {
		return User{}, nil, fmt.Errorf("get user %s: %w", id, err)
	}
	u := User{ID: row.ID, Email: row.Email, Name: row.Name, CreatedAt: row.CreatedAt,
		Disabled: row.DisabledAt != nil, EmailVerified: row.EmailVerifiedAt != nil}
	if u.Disabled {
		s.disabledSeen(ctx, id)
		return u, nil, nil
	}
	if !row.TenantID.Valid || !row.Role.Valid {
		return u, nil, nil
	}
	tr := &TenantRole{Role: Role(row.Role.String), Tenant: Tenant{ID: row.TenantID.UUID, Slug: row.TenantSlug.String, Name: row.TenantName.String}}
	if row.TenantCreatedAt != nil {
		tr.CreatedAt = *row.TenantCreatedAt
	}
	return u, tr, nil
}

// The SQLSTATEs app.member_role raises (db/migrations/00007_member_role.sql)
// for a member whose account is disabled and for anyone else who is not an
// enabled member of the transaction's tenant.
const (
	disabledMemberCode = "TK401"
	notMemberCode      = "TK404"
)

// CurrentRoleQuery is the statement that returns userID's role in the
// tenant the running tenant transaction is scoped to, and fails when they
// are not an enabled member of it (ScanCurrentRole then returns
// ErrNotMember, or ErrUserNotFound for a disabled member). Because it fails rather than returning no row, queued in a
// pipeline before a request's own statements it stops them from running:
// after an error, Postgres skips the rest of the pipeline.
func (s *Service) CurrentRoleQuery(userID uuid.UUID) (string, []any) {
	return "SELECT app.member_role($1)", []any{userID}
}

// ScanCurrentRole reads the result of CurrentRoleQuery for userID. A user
// found disabled is ErrUserNotFound (answered like a request without a
// session), and their sessions are revoked as User does (Config.OnDisable).
func (s *Service) ScanCurrentRole(ctx context.Context, userID uuid.UUID, row pgx.Row) (Role, error) {
	var role string
	if err := row.Scan(&role); err != nil {
		return "", s.membershipCheckErr(ctx, userID, err)
	}
	return Role(role), nil
}

// membershipCheckErr maps the error of a membership check (CurrentRoleQuery
// or AdminQuery) for userID: ErrNotMember, or ErrUserNotFound for a
// disabled user, whose sessions OnDisable then revokes.
func (s *Service) membershipCheckErr(ctx context.Context, userID uuid.UUID, err error) error {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch pgErr.Code {
		case notMemberCode:
			return ErrNotMember
		case disabledMemberCode:
			s.disabledSeen(ctx, userID)
			return ErrUserNotFound
		}
	}
	return fmt.Errorf("check membership: %w", err)
}
