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

// CheckPassword reports whether password is the enabled user's:
// ErrWrongPassword when it is not (or the user has none), ErrUserNotFound
// for a missing or disabled user, ErrBusy (wrapped) when no hashing slot
// frees up. It is the re-authentication of sensitive changes.
func (s *Service) CheckPassword(ctx context.Context, userID uuid.UUID, password string) error {
	if len(password) > s.cfg.MaxPasswordBytes {
		return ErrWrongPassword
	}
	hash, err := identitydb.New(s.pool).GetPasswordHash(ctx, userID)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := s.User(ctx, userID); err != nil {
			return err
		}
		// No password (a future passwordless account): nothing matches.
		return ErrWrongPassword
	}
	if err != nil {
		return fmt.Errorf("check password: %w", err)
	}
	ok, _, err := s.hasher.verify(ctx, normalizePassword(password), hash)
	if err != nil {
		return fmt.Errorf("check password: %w", err)
	}
	if !ok {
		return ErrWrongPassword
	}
	return nil
}

// ChangePassword sets the user's password to next (the sign-up policy
// applies), voids every link of theirs (reset, verification, email
// change), queues a notice and runs revoke (which ends their other
// sessions) before committing, and once more after. The caller has
// re-authenticated the user already (CheckPassword, or a recent login).
func (s *Service) ChangePassword(ctx context.Context, userID uuid.UUID, next string, revoke RevokeFunc) error {
	if problem := s.policy.malformed(next); problem != "" {
		return validation.Errors{{Field: "new_password", Detail: problem}}
	}
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	if u.Disabled {
		return ErrUserNotFound
	}
	next = normalizePassword(next)
	if reason := s.policy.weakness(next, u.Email, u.Name); reason != "" {
		return ErrWeakPassword.WithDetail("The password is too weak: " + reason + ".")
	}
	hash, err := s.hasher.hash(ctx, next)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	err = s.inTxMail(ctx, func(tx pgx.Tx, q *identitydb.Queries) error {
		if _, err := q.LockEnabledUser(ctx, userID); errors.Is(err, pgx.ErrNoRows) {
			return ErrUserNotFound
		} else if err != nil {
			return fmt.Errorf("lock user: %w", err)
		}
		if err := q.SetPasswordHash(ctx, identitydb.SetPasswordHashParams{UserID: userID, Hash: hash}); err != nil {
			return fmt.Errorf("store password: %w", err)
		}
		if err := recordSecurityEvent(ctx, q, userID, EventPasswordChanged); err != nil {
			return err
		}
		if err := q.DeleteAllUserTokens(ctx, userID); err != nil {
			return fmt.Errorf("void every link: %w", err)
		}
		if err := s.cfg.Outbox.MailTx(ctx, tx, mail.Notice{Kind: mail.KindPasswordChanged, To: u.Email, Name: u.Name}); err != nil {
			return fmt.Errorf("queue notice: %w", err)
		}
		return runRevoke(ctx, revoke, userID)
	})
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	s.revokeAgain(ctx, revoke, userID)
	return nil
}

// RequestEmailChange mails a confirmation link to the new address and a
// notice to the current one. Whether the new address is taken is checked
// when the change is confirmed, not here, so this says nothing about other
// accounts. The caller has re-authenticated the user already.
func (s *Service) RequestEmailChange(ctx context.Context, userID uuid.UUID, newEmail string) error {
	newEmail, problem := normalizeEmail(newEmail)
	if problem != "" {
		return validation.Errors{{Field: "email", Detail: problem}}
	}
	err := s.inTxMail(ctx, func(tx pgx.Tx, q *identitydb.Queries) error {
		u, err := q.GetUserByID(ctx, userID)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && u.DisabledAt != nil) {
			return ErrUserNotFound
		}
		if err != nil {
			return fmt.Errorf("get user: %w", err)
		}
		if strings.EqualFold(u.Email, newEmail) {
			return ErrSameEmail
		}
		// No name in the mail to the new address: nobody has proven it
		// yet, and the name is the account's to tell.
		err = s.issueToken(ctx, tx, q, PurposeEmailChange, userID, "",
			mail.Notice{Kind: mail.KindEmailChange, To: newEmail, NewEmail: newEmail})
		if err != nil {
			return err
		}
		return s.cfg.Outbox.MailTx(ctx, tx, mail.Notice{Kind: mail.KindEmailChangeNotice, To: u.Email, Name: greeting(u), NewEmail: newEmail})
	})
	if err != nil {
		return fmt.Errorf("request email change: %w", err)
	}
	return nil
}

// ConfirmEmailChange spends an email-change token of the user's and makes
// the address it was mailed to theirs, verified. ErrTokenInvalid for an
// unknown, used or expired token or one of another user's; ErrEmailTaken
// when another account took the address meanwhile (the token stays
// unspent). The user's verification and reset links, mailed to the old
// address, stop working.
func (s *Service) ConfirmEmailChange(ctx context.Context, userID uuid.UUID, token string) (User, error) {
	hash, ok := tokenHash(token)
	if !ok {
		return User{}, ErrTokenInvalid
	}
	var u User
	err := s.inTx(ctx, pgx.TxOptions{}, func(q *identitydb.Queries) error {
		t, err := consume(ctx, q, hash, PurposeEmailChange)
		if err != nil {
			return err
		}
		if t.UserID != userID {
			return ErrTokenInvalid // rolled back: the owner's link still works
		}
		n, err := q.ChangeEmail(ctx, identitydb.ChangeEmailParams{ID: userID, Email: t.TokenEmail})
		if err != nil {
			return fmt.Errorf("change email: %w", mapDBError(err))
		}
		if n == 0 {
			return ErrUserNotFound
		}
		if err := recordSecurityEvent(ctx, q, userID, EventEmailChanged); err != nil {
			return err
		}
		for _, p := range []Purpose{PurposeVerifyEmail, PurposePasswordReset} {
			if err := q.DeleteUserTokens(ctx, identitydb.DeleteUserTokensParams{UserID: userID, Purpose: string(p)}); err != nil {
				return fmt.Errorf("void old-address links: %w", err)
			}
		}
		row, err := q.GetUserByID(ctx, userID)
		if err != nil {
			return fmt.Errorf("get user: %w", err)
		}
		u = userFromRow(row)
		return nil
	})
	if err != nil {
		return User{}, fmt.Errorf("confirm email change: %w", err)
	}
	s.forgetUser(userID)
	return u, nil
}

// DeleteExpiredTokens deletes account tokens past their expiry, in
// batches, and returns how many; the periodic cleanup job runs it.
func (s *Service) DeleteExpiredTokens(ctx context.Context) (int64, error) {
	const batch = 1000
	var total int64
	for {
		n, err := identitydb.New(s.pool).DeleteExpiredAccountTokens(ctx, batch)
		total += n
		if err != nil {
			return total, fmt.Errorf("delete expired tokens: %w", err)
		}
		if n < batch {
			return total, nil
		}
	}
}
