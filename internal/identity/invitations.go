package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
	"github.com/tenantkit/tenantkit/internal/mail"
	"github.com/tenantkit/tenantkit/internal/problem"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// InvitationTTL is how long an invitation's link works.
const InvitationTTL = 7 * 24 * time.Hour

// maxInvitations bounds the pending invitations one listing returns.
const maxInvitations = 500

// Errors of invitations.
var (
	// ErrInvitationNotFound: no pending invitation of the tenant has this id.
	ErrInvitationNotFound = problem.New(http.StatusNotFound, "invitation_not_found", "No such invitation.")
	// ErrInvitationEmailMismatch: the signed-in user's verified address is
	// not the one the invitation went to.
	ErrInvitationEmailMismatch = problem.New(http.StatusForbidden, "invitation_email_mismatch",
		"This invitation was sent to another address: sign in with the address it was sent to (verified), or sign up with the link.")
)

// Invitation is a pending invitation to a tenant.
type Invitation struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Email    string
	Role     Role
	// InvitedBy is the user who invited, uuid.Nil once they are deleted.
	InvitedBy uuid.UUID
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Invite invites email to tenantID with role, as actor, and mails the
// invitation with a link that works once, for InvitationTTL. An address
// with a pending invitation gets a new one in its place (the earlier link
// dies). actor must manage members, and may invite to a role they could
// give a member (mayManage: admins invite below admin, owners anyone):
// ErrRoleForbidden otherwise. It returns validation.Errors for a malformed
// address or an unknown role, ErrAlreadyMember when the address belongs
// to a member (ErrAlreadyMember), ErrNotMember when the actor is none. It records
// invitation.created.
func (s *Service) Invite(ctx context.Context, actor Actor, tenantID uuid.UUID, email string, role Role) (Invitation, error) {
	var problems validation.Errors
	email, problem := normalizeEmail(email)
	if problem != "" {
		problems.Add("email", problem)
	}
	if !role.Valid() {
		problems.Add("role", "must be owner, admin, member or viewer")
	}
	if err := problems.Err(); err != nil {
		return Invitation{}, err
	}
	var inv Invitation
	err := s.inTxMail(ctx, func(tx pgx.Tx, q *identitydb.Queries) error {
		t, actorRole, err := lockTenantAs(ctx, q, tenantID, actor.UserID)
		if err != nil {
			return err
		}
		if !mayManage(actorRole, "", role) {
			return ErrRoleForbidden
		}
		member, err := q.IsMemberByEmail(ctx, identitydb.IsMemberByEmailParams{TenantID: tenantID, Email: email})
		if err != nil {
			return fmt.Errorf("check membership: %w", err)
		}
		if member {
			return ErrAlreadyMember
		}
		// Replacing a pending invitation ends it: only someone who could
		// revoke it may (an admin cannot replace an owner's invitation).
		pending, err := q.GetPendingInvitationRole(ctx, identitydb.GetPendingInvitationRoleParams{TenantID: tenantID, Email: email})
		switch {
		case err == nil && !mayManage(actorRole, "", Role(pending)):
			return ErrRoleForbidden
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("find pending invitation: %w", err)
		}
		inviter, err := q.GetUserByID(ctx, actor.UserID)
		if err != nil {
			return fmt.Errorf("get inviter: %w", err)
		}
		raw, hash := newToken()
		row, err := q.UpsertInvitation(ctx, identitydb.UpsertInvitationParams{
			TenantID: tenantID, Email: email, Role: string(role), TokenHash: hash,
			InvitedBy: uuid.NullUUID{UUID: actor.UserID, Valid: true}, TtlSeconds: int32(InvitationTTL / time.Second),
		})
		if err != nil {
			return fmt.Errorf("store invitation: %w", mapDBError(err))
		}
		inv = Invitation{
			ID: row.ID, TenantID: tenantID, Email: row.Email, Role: Role(row.Role),
			InvitedBy: row.InvitedBy.UUID, CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt,
		}
		n := mail.Notice{Kind: mail.KindInvitation, To: row.Email, Token: raw, Tenant: t.Name, Inviter: inviter.Email, Role: string(role)}
		if err := s.cfg.Outbox.MailTx(ctx, tx, n); err != nil {
			return fmt.Errorf("queue invitation mail: %w", err)
		}
		return recordEvent(ctx, q, actor, tenantID, "invitation.created", row.ID.String(), map[string]any{"email": row.Email, "role": role})
	})
	if err != nil {
		return Invitation{}, fmt.Errorf("invite to tenant %s: %w", tenantID, err)
	}
	return inv, nil
}

// Invitations lists tenantID's pending invitations, newest first, on db:
// the caller's transaction scoped to it (as Members).
func (s *Service) Invitations(ctx context.Context, db DBTX, tenantID uuid.UUID) ([]Invitation, error) {
	rows, err := identitydb.New(db).ListInvitations(ctx, identitydb.ListInvitationsParams{TenantID: tenantID, MaxRows: maxInvitations})
	if err != nil {
		return nil, fmt.Errorf("list invitations of tenant %s: %w", tenantID, err)
	}
	list := make([]Invitation, len(rows))
	for i, r := range rows {
		list[i] = Invitation{
			ID: r.ID, TenantID: tenantID, Email: r.Email, Role: Role(r.Role),
			InvitedBy: r.InvitedBy.UUID, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
		}
	}
	return list, nil
}

// RevokeInvitation ends tenantID's pending invitation id, as actor, who
// must be allowed to give its role (mayManage; ErrRoleForbidden), and
// records invitation.revoked. ErrInvitationNotFound when there is none.
func (s *Service) RevokeInvitation(ctx context.Context, actor Actor, tenantID, id uuid.UUID) error {
	err := s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		_, actorRole, err := lockTenantAs(ctx, q, tenantID, actor.UserID)
		if err != nil {
			return err
		}
		row, err := q.DeleteInvitation(ctx, identitydb.DeleteInvitationParams{TenantID: tenantID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrInvitationNotFound
		}
		if err != nil {
			return fmt.Errorf("delete invitation: %w", err)
		}
		if !mayManage(actorRole, "", Role(row.Role)) {
			return ErrRoleForbidden // rolled back
		}
		return recordEvent(ctx, q, actor, tenantID, "invitation.revoked", id.String(), map[string]any{"email": row.Email, "role": row.Role})
	})
	if err != nil {
		return fmt.Errorf("revoke invitation %s: %w", id, err)
	}
	return nil
}

// DeclineInvitation ends the invitation whose link carries token, for
// whoever holds the link (no session needed), and records
// invitation.declined with no actor. ErrTokenInvalid for an unknown,
// spent or expired token.
func (s *Service) DeclineInvitation(ctx context.Context, token string) error {
	hash, ok := tokenHash(token)
	if !ok {
		return ErrTokenInvalid
	}
	err := s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		// The tenant first, then the invitation, as everywhere (see join).
		peek, err := q.PeekInvitation(ctx, hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrTokenInvalid
		}
		if err != nil {
			return fmt.Errorf("find invitation: %w", err)
		}
		if _, err := q.LockTenant(ctx, peek.TenantID); errors.Is(err, pgx.ErrNoRows) {
			return ErrTokenInvalid
		} else if err != nil {
			return fmt.Errorf("lock tenant: %w", err)
		}
		inv, err := q.ConsumeInvitation(ctx, hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrTokenInvalid
		}
		if err != nil {
			return fmt.Errorf("spend invitation: %w", err)
		}
		o := OriginFrom(ctx)
		return recordEvent(ctx, q, Actor{RequestID: o.RequestID, IP: o.IP}, inv.TenantID, "invitation.declined", inv.ID.String(), map[string]any{"email": inv.Email, "role": inv.Role})
	})
	if err != nil {
		return fmt.Errorf("decline invitation: %w", err)
	}
	return nil
}

// AcceptInvitation makes actor a member of the tenant that the invitation
// whose link carries token is for, with its role, spends the invitation
// and records member.joined. actor's address must be verified and be the
// invited one (ErrInvitationEmailMismatch, and the invitation stays
// usable). A user who is a member already keeps their role and the
// invitation is spent. ErrTokenInvalid for an unknown, spent or expired
// token; ErrUserNotFound for a disabled user.
func (s *Service) AcceptInvitation(ctx context.Context, actor Actor, token string) (TenantRole, error) {
	hash, ok := tokenHash(token)
	if !ok {
		return TenantRole{}, ErrTokenInvalid
	}
	var tr TenantRole
	err := s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		peek, err := q.PeekInvitation(ctx, hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrTokenInvalid
		}
		if err != nil {
			return fmt.Errorf("find invitation: %w", err)
		}
		if _, err := q.LockEnabledUser(ctx, actor.UserID); errors.Is(err, pgx.ErrNoRows) {
			return ErrUserNotFound
		} else if err != nil {
			return fmt.Errorf("lock user: %w", err)
		}
		u, err := q.GetUserByID(ctx, actor.UserID)
		if err != nil {
			return fmt.Errorf("get user: %w", err)
		}
		if u.EmailVerifiedAt == nil || !strings.EqualFold(u.Email, peek.Email) {
			return ErrInvitationEmailMismatch
		}
		tr, err = s.join(ctx, q, actor, hash)
		return err
	})
	if err != nil {
		return TenantRole{}, fmt.Errorf("accept invitation: %w", err)
	}
	s.forgetUser(actor.UserID)
	return tr, nil
}

// SignUpWithInvitation creates an account for the address the invitation
// whose link carries token went to, verified (the link proves the mailbox
// is theirs), with password and name, and makes it a member of the tenant
// as AcceptInvitation does, in one transaction. ErrEmailTaken when the
// address has an account already (sign in and accept instead); otherwise
// the errors of SignUp and of AcceptInvitation.
func (s *Service) SignUpWithInvitation(ctx context.Context, token, password, name string) (User, TenantRole, error) {
	hash, ok := tokenHash(token)
	if !ok {
		return User{}, TenantRole{}, ErrTokenInvalid
	}
	var problems validation.Errors
	name, problem := normalizeName(name)
	if problem != "" {
		problems.Add("name", problem)
	}
	if problem := s.policy.malformed(password); problem != "" {
		problems.Add("password", problem)
	}
	if err := problems.Err(); err != nil {
		return User{}, TenantRole{}, err
	}
	// The address the password is judged against; the transaction below
	// spends the invitation by the same token, so it is the same address.
	peek, err := identitydb.New(s.pool).PeekInvitation(ctx, hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, TenantRole{}, ErrTokenInvalid
	}
	if err != nil {
		return User{}, TenantRole{}, fmt.Errorf("sign up with invitation: find invitation: %w", err)
	}
	password = normalizePassword(password)
	if reason := s.policy.weakness(password, peek.Email, name); reason != "" {
		return User{}, TenantRole{}, ErrWeakPassword.WithDetail("The password is too weak: " + reason + ".")
	}
	pwHash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return User{}, TenantRole{}, fmt.Errorf("sign up with invitation: %w", err)
	}
	var (
		u  User
		tr TenantRole
	)
	err = s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		row, err := q.CreateUser(ctx, identitydb.CreateUserParams{Email: peek.Email, Name: name})
		if err != nil {
			return fmt.Errorf("insert user: %w", mapDBError(err))
		}
		if err := q.CreatePasswordCredential(ctx, identitydb.CreatePasswordCredentialParams{UserID: row.ID, Hash: pwHash}); err != nil {
			return fmt.Errorf("store password: %w", mapDBError(err))
		}
		if _, err := q.SetEmailVerified(ctx, row.ID); err != nil {
			return fmt.Errorf("mark verified: %w", err)
		}
		if err := recordSecurityEvent(ctx, q, row.ID, EventEmailVerified); err != nil {
			return err
		}
		u = userFromRow(row)
		u.EmailVerified = true
		o := OriginFrom(ctx)
		tr, err = s.join(ctx, q, Actor{UserID: row.ID, RequestID: o.RequestID, IP: o.IP}, hash)
		return err
	})
	if err != nil {
		return User{}, TenantRole{}, fmt.Errorf("sign up with invitation: %w", err)
	}
	return u, tr, nil
}

// join spends the invitation hash names and makes actor a member of its
// tenant with its role (a member already keeps theirs), recording
// member.joined, in q's transaction.
func (s *Service) join(ctx context.Context, q *identitydb.Queries, actor Actor, hash []byte) (TenantRole, error) {
	peek, err := q.PeekInvitation(ctx, hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return TenantRole{}, ErrTokenInvalid
	}
	if err != nil {
		return TenantRole{}, fmt.Errorf("find invitation: %w", err)
	}
	// The tenant first, then the invitation, in the order every other
	// change of a tenant's invitations and members takes its locks (no
	// deadlock with a re-invitation, a revocation or a deletion); the lock
	// orders this after a concurrent removal or deletion.
	t, err := q.LockTenant(ctx, peek.TenantID)
	if errors.Is(err, pgx.ErrNoRows) {
		return TenantRole{}, ErrTokenInvalid // the tenant is gone
	}
	if err != nil {
		return TenantRole{}, fmt.Errorf("lock tenant: %w", err)
	}
	inv, err := q.ConsumeInvitation(ctx, hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return TenantRole{}, ErrTokenInvalid // spent, revoked or replaced meanwhile
	}
	if err != nil {
		return TenantRole{}, fmt.Errorf("spend invitation: %w", err)
	}
	role, err := q.GetMemberRole(ctx, identitydb.GetMemberRoleParams{TenantID: inv.TenantID, UserID: actor.UserID})
	switch {
	case err == nil:
		return TenantRole{Tenant: tenantFromRow(t), Role: Role(role)}, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return TenantRole{}, fmt.Errorf("get role: %w", err)
	}
	if err := q.CreateMembership(ctx, identitydb.CreateMembershipParams{TenantID: inv.TenantID, UserID: actor.UserID, Role: inv.Role}); err != nil {
		return TenantRole{}, fmt.Errorf("create membership: %w", mapDBError(err))
	}
	detail := map[string]any{"role": inv.Role, "invitation_id": inv.ID}
	if inv.InvitedBy.Valid {
		detail["invited_by"] = inv.InvitedBy.UUID
	}
	if err := recordEvent(ctx, q, actor, inv.TenantID, "member.joined", actor.UserID.String(), detail); err != nil {
		return TenantRole{}, err
	}
	return TenantRole{Tenant: tenantFromRow(t), Role: Role(inv.Role)}, nil
}

// DeleteExpiredInvitations deletes invitations past their expiry, in
// batches, and returns how many; the periodic cleanup job runs it.
func (s *Service) DeleteExpiredInvitations(ctx context.Context) (int64, error) {
	const batch = 1000
	var total int64
	for {
		n, err := identitydb.New(s.pool).DeleteExpiredInvitations(ctx, batch)
		total += n
		if err != nil {
			return total, fmt.Errorf("delete expired invitations: %w", err)
		}
		if n < batch {
			return total, nil
		}
	}
}
