package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
	"github.com/tenantkit/tenantkit/internal/mail"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// Register is sign-up for when an address must be verified before its
// account can be used. Its result says nothing about whether the address
// has an account: for a new address it creates the user (unverified) and
// queues a verification mail; for a taken one it queues a mail to the
// address's owner saying someone tried to sign up with it (with the way to
// reset their password), and creates nothing. Both run the same
// validation, the same password hash and one transaction, so they take
// about as long.
//
// Errors are those of SignUp except ErrEmailTaken, which it never returns:
// validation.Errors, ErrWeakPassword (judged against what was submitted,
// not against an existing account) and ErrBusy.
//
// An existing unverified account is not verified or changed by signing up
// again: its pending verification links die, and the owner of the address
// gets the "someone tried" mail, whose reset link verifies the address,
// replaces the password and ends every session, so an account someone
// else opened in their name is theirs after it. (VerifyEmail closes the
// other way in: see there.)
func (s *Service) Register(ctx context.Context, email, password, name string) error {
	var problems validation.Errors
	email, problem := normalizeEmail(email)
	if problem != "" {
		problems.Add("email", problem)
	}
	name, problem = normalizeName(name)
	if problem != "" {
		problems.Add("name", problem)
	}
	if problem := s.policy.malformed(password); problem != "" {
		problems.Add("password", problem)
	}
	if err := problems.Err(); err != nil {
		return err
	}
	password = normalizePassword(password)
	if reason := s.policy.weakness(password, email, name); reason != "" {
		return ErrWeakPassword.WithDetail("The password is too weak: " + reason + ".")
	}
	// Hashed for a taken address too, and before the transaction opens.
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	err = s.inTxMail(ctx, func(tx pgx.Tx, q *identitydb.Queries) error {
		row, err := q.CreateUserIfNew(ctx, identitydb.CreateUserIfNewParams{Email: email, Name: name})
		if errors.Is(err, pgx.ErrNoRows) {
			owner, err := q.GetUserByEmail(ctx, email)
			if err != nil {
				return fmt.Errorf("look up the address's owner: %w", err)
			}
			if owner.EmailVerifiedAt == nil {
				// Whoever opened the unverified account, its pending
				// links die: the way in is now the reset link, which
				// sets a password of the mailbox owner's choosing.
				if err := q.DeleteUserTokens(ctx, identitydb.DeleteUserTokensParams{UserID: owner.ID, Purpose: string(PurposeVerifyEmail)}); err != nil {
					return fmt.Errorf("void verification links: %w", err)
				}
			}
			return s.cfg.Outbox.MailTx(ctx, tx, mail.Notice{Kind: mail.KindSignupAttempt, To: owner.Email, Name: greeting(owner)})
		}
		if err != nil {
			return fmt.Errorf("insert user: %w", mapDBError(err))
		}
		if err := q.CreatePasswordCredential(ctx, identitydb.CreatePasswordCredentialParams{UserID: row.ID, Hash: hash}); err != nil {
			return fmt.Errorf("store password: %w", mapDBError(err))
		}
		return s.issueToken(ctx, tx, q, PurposeVerifyEmail, row.ID, hash,
			mail.Notice{Kind: mail.KindVerifyEmail, To: row.Email})
	})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	return nil
}
