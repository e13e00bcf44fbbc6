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
// whose user is disabled, or that was mailed to an address the user no
// longer has.
func (s *Service) VerifyEmail(ctx context.Context, token string) (User, error) {
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
		row, err := q.GetUserByID(ctx, t.UserID)
		if err != nil {
			return fmt.Errorf("get user: %w", err)
		}
		u = userFromRow(row)
		return nil
	})
	if err != nil {
		return User{}, fmt.Errorf("verify email: %w", err)
	}
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
		return s.issueToken(ctx, tx, q, PurposeVerifyEmail, u.ID,
			mail.Notice{Kind: mail.KindVerifyEmail, To: u.Email, Name: u.Name})
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
	return nil
}
