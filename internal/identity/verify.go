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
)

// VerifyEmail spends a verification token and marks the user's address
// verified. ErrTokenInvalid for a token that is unknown, used or expired,
// whose user is disabled or verified already, or that was mailed to an
// address the user no longer has.
//
// The link proves the address, not the password: a password stays only if
// the token was mailed by the sign-up that chose it and it has not changed
// since. Otherwise (the link was resent, or someone else signed up with
// the address first and set one) the password is removed, and the user
// sets one signed in (or by reset). revoke ends every session of the user
// before the commit, so whoever opened the account beforehand is out.
func (s *Service) VerifyEmail(ctx context.Context, token string, revoke RevokeFunc) (User, error) {
	hash, ok := tokenHash(token)
	if !ok {
		return User{}, ErrTokenInvalid
	}
	var u User
	err := s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		t, err := consume(ctx, q, hash, PurposeVerifyEmail)
		if err != nil {
			return err
		}
		n, err := q.MarkEmailVerified(ctx, identitydb.MarkEmailVerifiedParams{ID: t.UserID, Email: t.TokenEmail})
		if err != nil {
			return fmt.Errorf("mark verified: %w", err)
		}
		if n == 0 {
			return ErrTokenInvalid
		}
		if err := recordSecurityEvent(ctx, q, t.UserID, EventEmailVerified); err != nil {
			return err
		}
		current, err := q.CurrentPasswordHash(ctx, t.UserID)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read password: %w", err)
		}
		if err == nil && (!t.TokenPasswordHash.Valid || t.TokenPasswordHash.String != current) {
			if err := q.DeletePasswordCredential(ctx, t.UserID); err != nil {
				return fmt.Errorf("remove an unproven password: %w", err)
			}
		}
		row, err := q.GetUserByID(ctx, t.UserID)
		if err != nil {
			return fmt.Errorf("get user: %w", err)
		}
		u = userFromRow(row)
		return runRevoke(ctx, revoke, u.ID)
	})
	if err != nil {
		return User{}, fmt.Errorf("verify email: %w", err)
	}
	s.forgetUser(u.ID)
	s.revokeAgain(ctx, revoke, u.ID)
	return u, nil
}

// RequestVerification queues a new verification mail for the address, if
// it belongs to an enabled user whose address is not verified yet. It
// returns before knowing which: the lookup runs in the background
// (TaskVerificationResend), so the caller's answer and timing are the
// same for every address. Input that cannot be an address queues nothing.
func (s *Service) RequestVerification(ctx context.Context, email string) error {
	return s.queueLookup(ctx, TaskVerificationResend, email)
}

// queueLookup queues task for an address typed by an anonymous caller.
func (s *Service) queueLookup(ctx context.Context, task, email string) error {
	if s.cfg.Outbox == nil {
		return errNoOutbox
	}
	email, problem := normalizeEmail(email)
	if problem != "" {
		return nil // no account can have it; the answer is the same
	}
	if err := s.cfg.Outbox.Task(ctx, task, email); err != nil {
		return fmt.Errorf("queue %s: %w", task, err)
	}
	return nil
}

// resendVerification is TaskVerificationResend.
func (s *Service) resendVerification(ctx context.Context, email string) error {
	return s.inTxMail(ctx, func(tx pgx.Tx, q *identitydb.Queries) error {
		u, err := q.GetUserByEmail(ctx, email)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("resend verification: %w", err)
		}
		if u.DisabledAt != nil || u.EmailVerifiedAt != nil {
			return nil
		}
		// No password binding: whoever asks for the resend need not be
		// whoever chose the password (VerifyEmail removes it).
		return s.issueToken(ctx, tx, q, PurposeVerifyEmail, u.ID, "",
			mail.Notice{Kind: mail.KindVerifyEmail, To: u.Email})
	})
}

// consume spends the token with this hash for p in the caller's
// transaction: ErrTokenInvalid unless it was live, its user is enabled and
// still has the address the token names (for an email change, the token
// names the new address, and the caller checks the user instead).
func consume(ctx context.Context, q *identitydb.Queries, hash []byte, p Purpose) (identitydb.ConsumeAccountTokenRow, error) {
	t, err := q.ConsumeAccountToken(ctx, identitydb.ConsumeAccountTokenParams{TokenHash: hash, Purpose: string(p)})
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrTokenInvalid
	}
	if err != nil {
		return t, fmt.Errorf("spend token: %w", err)
	}
	if t.DisabledAt != nil || (p != PurposeEmailChange && !strings.EqualFold(t.TokenEmail, t.Email)) {
		return t, ErrTokenInvalid
	}
	return t, nil
}

// MarkEmailVerified marks the user's address verified without a link: for
// operators (`server users verify`) who confirmed it another way, and for
// test fixtures. ErrUserNotFound when there is no such user.
func (s *Service) MarkEmailVerified(ctx context.Context, userID uuid.UUID) error {
	n, err := identitydb.New(s.pool).SetEmailVerified(ctx, userID)
	if err != nil {
		return fmt.Errorf("mark email verified: %w", err)
	}
	if n == 0 {
		return ErrUserNotFound
	}
	s.forgetUser(userID)
	return nil
}
