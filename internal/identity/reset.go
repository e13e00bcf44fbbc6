package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
	"github.com/tenantkit/tenantkit/internal/mail"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// RevokeFunc ends sessions of the user whose credentials are changing. It
// runs inside the change's transaction, before the commit: if it fails,
// nothing changes, so a new password never coexists with sessions that
// should have ended. It runs once more after the commit, for a login with
// the old password that slipped in between (that second run's failure is
// logged): it must be idempotent.
type RevokeFunc func(ctx context.Context, userID uuid.UUID) error

// RequestPasswordReset queues a reset mail for the address, if it belongs
// to an enabled user. Like RequestVerification it returns before knowing
// which (TaskPasswordReset does the lookup), so the answer and its timing
// are the same for every address.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	return s.queueLookup(ctx, TaskPasswordReset, email)
}

// sendPasswordReset is TaskPasswordReset.
func (s *Service) sendPasswordReset(ctx context.Context, email string) error {
	return s.inTxMail(ctx, func(tx pgx.Tx, q *identitydb.Queries) error {
		u, err := q.GetUserByEmail(ctx, email)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("password reset: %w", err)
		}
		if u.DisabledAt != nil {
			return nil
		}
		return s.issueToken(ctx, tx, q, PurposePasswordReset, u.ID, "",
			mail.Notice{Kind: mail.KindPasswordReset, To: u.Email, Name: greeting(u)})
	})
}

// ResetPassword spends a reset token and sets the user's password to
// password (the sign-up policy applies), marks their address verified
// (the link reached it), voids every other link of theirs (of any
// purpose), queues a notice and runs revoke (which ends every session)
// before committing, and once more after.
//
// ErrTokenInvalid for an unknown, used or expired token; a password the
// policy refuses leaves the token unspent, so the user can try another.
func (s *Service) ResetPassword(ctx context.Context, token, password string, revoke RevokeFunc) (User, error) {
	if problem := s.policy.malformed(password); problem != "" {
		return User{}, validation.Errors{{Field: "password", Detail: problem}}
	}
	hash, ok := tokenHash(token)
	if !ok {
		return User{}, ErrTokenInvalid
	}
	peek, err := identitydb.New(s.pool).PeekAccountToken(ctx, identitydb.PeekAccountTokenParams{TokenHash: hash, Purpose: string(PurposePasswordReset)})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && (peek.DisabledAt != nil || !strings.EqualFold(peek.TokenEmail, peek.Email))) {
		return User{}, ErrTokenInvalid
	}
	if err != nil {
		return User{}, fmt.Errorf("reset password: %w", err)
	}
	password = normalizePassword(password)
	if reason := s.policy.weakness(password, peek.Email, peek.Name); reason != "" {
		return User{}, ErrWeakPassword.WithDetail("The password is too weak: " + reason + ".")
	}
	newHash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return User{}, fmt.Errorf("reset password: %w", err)
	}
	var u User
	err = s.inTxMail(ctx, func(tx pgx.Tx, q *identitydb.Queries) error {
		t, err := consume(ctx, q, hash, PurposePasswordReset)
		if err != nil {
			return err
		}
		if err := q.SetPasswordHash(ctx, identitydb.SetPasswordHashParams{UserID: t.UserID, Hash: newHash}); err != nil {
			return fmt.Errorf("store password: %w", err)
		}
		if err := recordSecurityEvent(ctx, q, t.UserID, EventPasswordReset); err != nil {
			return err
		}
		if _, err := q.MarkEmailVerified(ctx, identitydb.MarkEmailVerifiedParams{ID: t.UserID, Email: t.TokenEmail}); err != nil {
			return fmt.Errorf("mark verified: %w", err)
		}
		if err := q.DeleteAllUserTokens(ctx, t.UserID); err != nil {
			return fmt.Errorf("void every other link: %w", err)
		}
		row, err := q.GetUserByID(ctx, t.UserID)
		if err != nil {
			return fmt.Errorf("get user: %w", err)
		}
		u = userFromRow(row)
		if err := s.cfg.Outbox.MailTx(ctx, tx, mail.Notice{Kind: mail.KindPasswordChanged, To: u.Email, Name: u.Name}); err != nil {
			return fmt.Errorf("queue notice: %w", err)
		}
		return runRevoke(ctx, revoke, u.ID)
	})
	if err != nil {
		return User{}, fmt.Errorf("reset password: %w", err)
	}
	s.forgetUser(u.ID)
	s.revokeAgain(ctx, revoke, u.ID)
	return u, nil
}

// runRevoke runs revoke, which is required: a credential change that ends
// no sessions is a bug in the caller.
func runRevoke(ctx context.Context, revoke RevokeFunc, userID uuid.UUID) error {
	if revoke == nil {
		return errors.New("identity: no RevokeFunc for a credential change")
	}
	if err := revoke(ctx, userID); err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}

// revokeAgain runs revoke after a credential change committed, for a
// session created with the old credentials between the first revoke and
// the commit. The change stands either way; a failure is logged.
func (s *Service) revokeAgain(ctx context.Context, revoke RevokeFunc, userID uuid.UUID) {
	if revoke == nil {
		return
	}
	if err := revoke(ctx, userID); err != nil {
		s.cfg.Logger.WarnContext(ctx, "identity: revoke sessions after a credential change", "user_id", userID, "err", err)
	}
}
