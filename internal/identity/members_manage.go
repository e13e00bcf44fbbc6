package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
	"github.com/tenantkit/tenantkit/internal/problem"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// Errors of member management (issue 10).
var (
	// ErrLastOwner: the change would leave the tenant without an owner.
	ErrLastOwner = problem.New(http.StatusConflict, "last_owner", "A tenant keeps at least one owner: make another member an owner first.")
	// ErrMemberNotFound: the user is not a member of the tenant.
	ErrMemberNotFound = problem.New(http.StatusNotFound, "member_not_found", "No such member.")
	// ErrRoleForbidden: the actor's role does not allow this change to this
	// member (tenancy's PermManageMembers below admin, PermManageTenant for
	// admins and owners).
	ErrRoleForbidden = problem.New(http.StatusForbidden, "forbidden", "Your role in this tenant does not allow this.")
)

// Actor is who makes a change and the request it came with, for the
// audit log.
type Actor struct {
	UserID    uuid.UUID
	RequestID string
	IP        string
}

// rank orders roles: a role may do what every role of lower rank may.
func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	case RoleMember:
		return 1
	case RoleViewer:
		return 0
	}
	return -1
}

// Outranks reports whether r may do more than o (owner > admin > member >
// viewer); an unknown role outranks nothing.
func (r Role) Outranks(o Role) bool { return r.rank() > o.rank() }

// mayManage reports whether actor may change a member whose role is from
// into one whose role is to (to == "": remove them): admins manage roles
// below admin, owners every role; nobody grants a role above their own.
// This is tenancy's permission table (PermManageMembers, PermManageTenant)
// for identity, which cannot import tenancy; a test over HTTP holds them
// together.
func mayManage(actor, from, to Role) bool {
	if actor.rank() < RoleAdmin.rank() {
		return false
	}
	if from.rank() >= RoleAdmin.rank() || to.rank() >= RoleAdmin.rank() {
		return actor == RoleOwner
	}
	return to.rank() <= actor.rank()
}

// changeMembership runs a membership change of tenantID's member userID
// made by actor, in one transaction that locks the tenant first (so that
// owner counts hold until it commits; see LockTenant), and records event
// in the audit log in it. change gets the actor's and the member's role
// and does the change; it returns the audit detail.
func (s *Service) changeMembership(ctx context.Context, actor Actor, tenantID, userID uuid.UUID, action string,
	change func(q *identitydb.Queries, actorRole, role Role) (map[string]any, error),
) error {
	err := s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		_, actorRole, err := lockTenantAs(ctx, q, tenantID, actor.UserID)
		if err != nil {
			return err
		}
		role, err := q.GetMemberRole(ctx, identitydb.GetMemberRoleParams{TenantID: tenantID, UserID: userID})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrMemberNotFound
		}
		if err != nil {
			return fmt.Errorf("get member's role: %w", err)
		}
		detail, err := change(q, actorRole, Role(role))
		if err != nil || detail == nil {
			return err // nil, nil: nothing changed, nothing to record
		}
		return recordEvent(ctx, q, actor, tenantID, action, userID.String(), detail)
	})
	if err == nil {
		s.forgetUser(userID)
	}
	return err
}

// lockTenantAs locks tenantID's row for the rest of the transaction (see
// LockTenant) and returns it with actorID's role in it, read under the
// lock: ErrNotMember when the tenant is gone or the actor is no (enabled)
// member of it, answered like any non-member.
func lockTenantAs(ctx context.Context, q *identitydb.Queries, tenantID, actorID uuid.UUID) (identitydb.Tenant, Role, error) {
	t, err := q.LockTenant(ctx, tenantID)
	if errors.Is(err, pgx.ErrNoRows) {
		return identitydb.Tenant{}, "", ErrNotMember
	}
	if err != nil {
		return identitydb.Tenant{}, "", fmt.Errorf("lock tenant: %w", err)
	}
	role, err := q.GetMemberRole(ctx, identitydb.GetMemberRoleParams{TenantID: tenantID, UserID: actorID})
	if errors.Is(err, pgx.ErrNoRows) {
		return identitydb.Tenant{}, "", ErrNotMember // removed meanwhile
	}
	if err != nil {
		return identitydb.Tenant{}, "", fmt.Errorf("get actor's role: %w", err)
	}
	return t, Role(role), nil
}

// recordEvent writes an event of actor's (no actor: uuid.Nil) into
// tenantID's audit log, in the transaction of the change it records.
func recordEvent(ctx context.Context, q *identitydb.Queries, actor Actor, tenantID uuid.UUID, action, target string, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit detail: %w", err)
	}
	if err := q.CreateAuditEvent(ctx, identitydb.CreateAuditEventParams{
		TenantID: tenantID, Actor: uuid.NullUUID{UUID: actor.UserID, Valid: actor.UserID != uuid.Nil},
		Action: action, Target: target, Detail: b,
		RequestID: truncate(actor.RequestID, 64), Ip: truncate(actor.IP, 64),
	}); err != nil {
		return fmt.Errorf("record %s: %w", action, err)
	}
	return nil
}

// checkOwnersLeft returns ErrLastOwner when taking an owner (role) away
// would leave tenantID without an (enabled) owner.
func checkOwnersLeft(ctx context.Context, q *identitydb.Queries, tenantID uuid.UUID, role Role) error {
	if role != RoleOwner {
		return nil
	}
	n, err := q.CountOwners(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if n <= 1 {
		return ErrLastOwner
	}
	return nil
}

// ChangeMemberRole gives userID role in tenantID, as actor allows
// (mayManage: ErrRoleForbidden), and records member.role_changed. It
// returns validation.Errors for an unknown role, ErrMemberNotFound,
// ErrLastOwner when it would demote the last owner, ErrNotMember when the
// actor is no member.
func (s *Service) ChangeMemberRole(ctx context.Context, actor Actor, tenantID, userID uuid.UUID, role Role) error {
	if !role.Valid() {
		return validation.Errors{{Field: "role", Detail: "must be owner, admin, member or viewer"}}
	}
	err := s.changeMembership(ctx, actor, tenantID, userID, "member.role_changed", func(q *identitydb.Queries, actorRole, from Role) (map[string]any, error) {
		if !mayManage(actorRole, from, role) {
			return nil, ErrRoleForbidden
		}
		if from == role {
			return nil, nil // already so: no write, no event
		}
		if err := checkOwnersLeft(ctx, q, tenantID, from); err != nil {
			return nil, err
		}
		if _, err := q.UpdateMembershipRole(ctx, identitydb.UpdateMembershipRoleParams{TenantID: tenantID, UserID: userID, Role: string(role)}); err != nil {
			return nil, mapDBError(err)
		}
		return map[string]any{"from": from, "to": role}, nil
	})
	if err != nil {
		return fmt.Errorf("change the role of %s in tenant %s: %w", userID, tenantID, err)
	}
	return nil
}

// RemoveMemberAs ends userID's membership in tenantID, as actor allows
// (mayManage), and records member.removed; ErrLastOwner for the last
// owner. It takes effect on the removed user's next request.
func (s *Service) RemoveMemberAs(ctx context.Context, actor Actor, tenantID, userID uuid.UUID) error {
	err := s.changeMembership(ctx, actor, tenantID, userID, "member.removed", func(q *identitydb.Queries, actorRole, role Role) (map[string]any, error) {
		if actor.UserID != userID && !mayManage(actorRole, role, "") {
			return nil, ErrRoleForbidden
		}
		return map[string]any{"role": role}, deleteMembership(ctx, q, tenantID, userID, role)
	})
	if err != nil {
		return fmt.Errorf("remove %s from tenant %s: %w", userID, tenantID, err)
	}
	return nil
}

// LeaveTenant ends actor's own membership in tenantID and records
// member.left; ErrLastOwner for the last owner.
func (s *Service) LeaveTenant(ctx context.Context, actor Actor, tenantID uuid.UUID) error {
	err := s.changeMembership(ctx, actor, tenantID, actor.UserID, "member.left", func(q *identitydb.Queries, _, role Role) (map[string]any, error) {
		return map[string]any{"role": role}, deleteMembership(ctx, q, tenantID, actor.UserID, role)
	})
	if err != nil {
		return fmt.Errorf("leave tenant %s: %w", tenantID, err)
	}
	return nil
}

func deleteMembership(ctx context.Context, q *identitydb.Queries, tenantID, userID uuid.UUID, role Role) error {
	if err := checkOwnersLeft(ctx, q, tenantID, role); err != nil {
		return err
	}
	if _, err := q.DeleteMembership(ctx, identitydb.DeleteMembershipParams{TenantID: tenantID, UserID: userID}); err != nil {
		return fmt.Errorf("delete membership: %w", err)
	}
	return nil
}

// truncate cuts s to at most n bytes (request ids and IPs are ASCII).
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
