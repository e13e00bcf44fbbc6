package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
	"github.com/tenantkit/tenantkit/internal/mail"
)

// Outbox queues the work that follows an identity change (package jobs
// implements it on the Postgres job queue).
type Outbox interface {
	// MailTx queues the mail n in tx: it goes out after tx commits, and
	// never if tx rolls back.
	MailTx(ctx context.Context, tx pgx.Tx, n mail.Notice) error
	// Task queues the task name (TaskPasswordReset,
	// TaskVerificationResend) with its argument, to run in the background
	// through Service.RunTask.
	Task(ctx context.Context, name, arg string) error
}

// The background tasks of Service.RunTask.
const (
	// TaskPasswordReset mails a reset link to the address in its argument
	// if it belongs to an enabled user.
	TaskPasswordReset = "password_reset"
	// TaskVerificationResend mails a new verification link to the address
	// in its argument if it belongs to an enabled, unverified user.
	TaskVerificationResend = "verification_resend"
)

// errNoOutbox: a method that mails was called on a Service without one.
var errNoOutbox = errors.New("identity: Config.Outbox is not set")

// RunTask runs a task that Outbox.Task queued. The request that queued it
// answered the same whatever the task finds: the work that depends on
// whether an address has an account happens here, after the response.
func (s *Service) RunTask(ctx context.Context, name, arg string) error {
	switch name {
	case TaskPasswordReset:
		return s.sendPasswordReset(ctx, arg)
	case TaskVerificationResend:
		return s.resendVerification(ctx, arg)
	}
	return fmt.Errorf("identity: unknown task %q", name)
}

// inTxMail is inTx for changes that mail: fn gets the transaction too, to
// queue its mail in, and fails at once when there is no Outbox.
func (s *Service) inTxMail(ctx context.Context, fn func(tx pgx.Tx, q *identitydb.Queries) error) error {
	if s.cfg.Outbox == nil {
		return errNoOutbox
	}
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		return fn(tx, identitydb.New(tx))
	})
}

// issueToken creates a token for p, voiding the user's earlier ones of
// that purpose, and queues the mail n carrying it, all in tx. The token is
// bound to the address n goes to and, for a verification mailed at
// sign-up, to the password hash that sign-up chose (passwordHash; "" for
// none).
func (s *Service) issueToken(ctx context.Context, tx pgx.Tx, q *identitydb.Queries, p Purpose, userID uuid.UUID, passwordHash string, n mail.Notice) error {
	if err := q.DeleteUserTokens(ctx, identitydb.DeleteUserTokensParams{UserID: userID, Purpose: string(p)}); err != nil {
		return fmt.Errorf("void earlier %s tokens: %w", p, err)
	}
	raw, hash := newToken()
	arg := identitydb.CreateAccountTokenParams{
		TokenHash: hash, Purpose: string(p), UserID: userID, Email: n.To, TtlSeconds: int32(p.ttl() / time.Second),
	}
	if passwordHash != "" {
		arg.PasswordHash = pgtype.Text{String: passwordHash, Valid: true}
	}
	err := q.CreateAccountToken(ctx, arg)
	if err != nil {
		return fmt.Errorf("store %s token: %w", p, err)
	}
	n.Token = raw
	if err := s.cfg.Outbox.MailTx(ctx, tx, n); err != nil {
		return fmt.Errorf("queue %s mail: %w", n.Kind, err)
	}
	return nil
}

// greeting is the name a mail to u may greet them by: only once their
// address is verified. Until then the name is whatever whoever signed up
// typed, and a mail to an address nobody has proven must not carry text a
// stranger chose.
func greeting(u identitydb.User) string {
	if u.EmailVerifiedAt == nil {
		return ""
	}
	return u.Name
}
