package identity

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/dbtest"
	"github.com/tenantkit/tenantkit/internal/mail"
)

// recordingOutbox keeps what identity queues, in memory. The end-to-end
// tests (internal/app) deliver through the job queue to a real SMTP
// server; these test identity's own rules.
type recordingOutbox struct {
	mu     sync.Mutex
	mails  []mail.Notice
	tasks  [][2]string
	failTx bool // MailTx fails: the change must roll back
}

func (o *recordingOutbox) MailTx(ctx context.Context, tx pgx.Tx, n mail.Notice) error {
	if o.failTx {
		return errors.New("outbox down")
	}
	// Prove the mail is queued in the change's transaction.
	if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.mails = append(o.mails, n)
	return nil
}

func (o *recordingOutbox) Task(_ context.Context, name, arg string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tasks = append(o.tasks, [2]string{name, arg})
	return nil
}

// last returns the last mail of kind to the address, or fails the test.
func (o *recordingOutbox) last(t *testing.T, kind mail.Kind, to string) mail.Notice {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, n := range slices.Backward(o.mails) {
		if n.Kind == kind && strings.EqualFold(n.To, to) {
			return n
		}
	}
	t.Fatalf("no %s mail to %s among %d", kind, to, len(o.mails))
	return mail.Notice{}
}

func (o *recordingOutbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.mails)
}

func newLifecycleService(t *testing.T) (*Service, *recordingOutbox) {
	t.Helper()
	o := &recordingOutbox{}
	s, _ := newTestService(t, Config{Outbox: o})
	return s, o
}

// expire makes every token of the user expired.
func expire(t *testing.T, s *Service, userID uuid.UUID) {
	t.Helper()
	_, err := s.pool.Exec(t.Context(),
		"UPDATE account_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second' WHERE user_id = $1", userID)
	if err != nil {
		t.Fatal(err)
	}
}

func TestVerifyEmail(t *testing.T) {
	s, o := newLifecycleService(t)
	ctx := t.Context()
	u, err := s.SignUp(ctx, uniqueEmail(), goodPassword, "Vera")
	if err != nil {
		t.Fatal(err)
	}
	if u.EmailVerified {
		t.Fatal("a new user is verified")
	}
	n := o.last(t, mail.KindVerifyEmail, u.Email)
	if len(n.Token) != 43 {
		t.Fatalf("token %q: want 43 characters of base64url", n.Token)
	}
	if _, err := s.CreateTenant(ctx, u.ID, "Unverified", uniqueSlug()); !errors.Is(err, ErrEmailUnverified) {
		t.Fatalf("CreateTenant before verification: got %v, want ErrEmailUnverified", err)
	}
	if _, err := s.VerifyEmail(ctx, n.Token+"x", nopRevoke); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("malformed token: got %v", err)
	}
	got, err := s.VerifyEmail(ctx, n.Token, nopRevoke)
	if err != nil || got.ID != u.ID || !got.EmailVerified {
		t.Fatalf("VerifyEmail = %+v, %v", got, err)
	}
	if _, err := s.VerifyEmail(ctx, n.Token, nopRevoke); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("second use: got %v, want ErrTokenInvalid", err)
	}
	if _, err := s.CreateTenant(ctx, u.ID, "Verified", uniqueSlug()); err != nil {
		t.Fatalf("CreateTenant after verification: %v", err)
	}
	// A reset token does not verify, a verification token does not reset.
	if _, err := s.ResetPassword(ctx, n.Token, "another fine passphrase", nopRevoke); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("verification token as reset token: got %v", err)
	}
}

func TestVerifyEmailExpired(t *testing.T) {
	s, o := newLifecycleService(t)
	u, err := s.SignUp(t.Context(), uniqueEmail(), goodPassword, "Old")
	if err != nil {
		t.Fatal(err)
	}
	n := o.last(t, mail.KindVerifyEmail, u.Email)
	expire(t, s, u.ID)
	if _, err := s.VerifyEmail(t.Context(), n.Token, nopRevoke); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("expired: got %v, want ErrTokenInvalid", err)
	}
	// Deleted by the periodic cleanup.
	if n, err := s.DeleteExpiredTokens(t.Context()); err != nil || n < 1 {
		t.Fatalf("DeleteExpiredTokens = %d, %v", n, err)
	}
}

func TestRegister(t *testing.T) {
	s, o := newLifecycleService(t)
	ctx := t.Context()
	email := uniqueEmail()
	if err := s.Register(ctx, email, goodPassword, "First"); err != nil {
		t.Fatal(err)
	}
	first := o.last(t, mail.KindVerifyEmail, email)
	// Taken, in another letter case: the same nil, a mail to the owner,
	// nothing created or changed.
	if err := s.Register(ctx, strings.ToUpper(email), "a different passphrase", "Second"); err != nil {
		t.Fatalf("taken address: got %v, want nil", err)
	}
	attempt := o.last(t, mail.KindSignupAttempt, email)
	// No greeting: the account's name is unproven text (anyone could have
	// signed up with the address and chosen it).
	if attempt.Token != "" || attempt.Name != "" || first.Name != "" {
		t.Fatalf("signup attempt mail = %+v, verification mail = %+v", attempt, first)
	}
	if _, err := s.Authenticate(ctx, email, "a different passphrase"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("the second sign-up's password works: %v", err)
	}
	// The first sign-up's link died with the second attempt: the way in is
	// the reset link.
	if _, err := s.VerifyEmail(ctx, first.Token, nopRevoke); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("VerifyEmail with a voided link: %v", err)
	}
	// Validation and policy answer alike for new and taken addresses.
	for _, addr := range []string{email, uniqueEmail()} {
		if err := s.Register(ctx, addr, "password", "Weak"); !errors.Is(err, ErrWeakPassword) {
			t.Errorf("weak password for %s: got %v", addr, err)
		}
	}
}

func TestRegisterRollsBackWithoutItsMail(t *testing.T) {
	s, o := newLifecycleService(t)
	o.failTx = true
	email := uniqueEmail()
	if err := s.Register(t.Context(), email, goodPassword, "Nobody"); err == nil {
		t.Fatal("Register succeeded although its mail could not be queued")
	}
	if _, err := s.UserByEmail(t.Context(), email); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("the user exists without their verification mail: %v", err)
	}
}

func nopRevoke(context.Context, uuid.UUID) error { return nil }

func TestPasswordReset(t *testing.T) {
	s, o := newLifecycleService(t)
	ctx := t.Context()
	u := signUp(t, s)

	// The request only queues the lookup, for any address.
	for _, addr := range []string{u.Email, uniqueEmail(), "not an address"} {
		if err := s.RequestPasswordReset(ctx, addr); err != nil {
			t.Fatalf("RequestPasswordReset(%q): %v", addr, err)
		}
	}
	if len(o.tasks) != 2 || o.tasks[0] != [2]string{TaskPasswordReset, u.Email} {
		t.Fatalf("tasks = %q", o.tasks)
	}
	before := o.count()
	for _, task := range o.tasks {
		if err := s.RunTask(ctx, task[0], task[1]); err != nil {
			t.Fatalf("RunTask(%q): %v", task, err)
		}
	}
	if got := o.count() - before; got != 1 {
		t.Fatalf("%d mails for one known and one unknown address, want 1", got)
	}
	n := o.last(t, mail.KindPasswordReset, u.Email)

	// A weak password leaves the token usable.
	if _, err := s.ResetPassword(ctx, n.Token, "password", nopRevoke); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("weak: got %v", err)
	}
	// A failing revoke changes nothing.
	revokeErr := errors.New("store down")
	if _, err := s.ResetPassword(ctx, n.Token, "a brand new passphrase", func(context.Context, uuid.UUID) error { return revokeErr }); !errors.Is(err, revokeErr) {
		t.Fatalf("failing revoke: got %v", err)
	}
	if _, err := s.Authenticate(ctx, u.Email, goodPassword); err != nil {
		t.Fatalf("the old password stopped working although the reset failed: %v", err)
	}
	var revoked uuid.UUID
	got, err := s.ResetPassword(ctx, n.Token, "a brand new passphrase", func(_ context.Context, id uuid.UUID) error { revoked = id; return nil })
	if err != nil || got.ID != u.ID || revoked != u.ID {
		t.Fatalf("ResetPassword = %+v, %v (revoked %v)", got, err, revoked)
	}
	o.last(t, mail.KindPasswordChanged, u.Email)
	if _, err := s.Authenticate(ctx, u.Email, goodPassword); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("old password after reset: %v", err)
	}
	if _, err := s.Authenticate(ctx, u.Email, "a brand new passphrase"); err != nil {
		t.Fatalf("new password after reset: %v", err)
	}
	if _, err := s.ResetPassword(ctx, n.Token, "yet another passphrase", nopRevoke); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("second use: got %v, want ErrTokenInvalid", err)
	}
}

func TestPasswordResetVerifiesAndExpires(t *testing.T) {
	s, o := newLifecycleService(t)
	ctx := t.Context()
	u, err := s.SignUp(ctx, uniqueEmail(), goodPassword, "Una")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RunTask(ctx, TaskPasswordReset, u.Email); err != nil {
		t.Fatal(err)
	}
	first := o.last(t, mail.KindPasswordReset, u.Email)
	if err := s.RunTask(ctx, TaskPasswordReset, u.Email); err != nil {
		t.Fatal(err)
	}
	second := o.last(t, mail.KindPasswordReset, u.Email)
	if _, err := s.ResetPassword(ctx, first.Token, "a brand new passphrase", nopRevoke); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("a replaced link: got %v, want ErrTokenInvalid", err)
	}
	got, err := s.ResetPassword(ctx, second.Token, "a brand new passphrase", nopRevoke)
	if err != nil || !got.EmailVerified {
		t.Fatalf("ResetPassword = %+v, %v; want the address verified", got, err)
	}
	if err := s.RunTask(ctx, TaskPasswordReset, u.Email); err != nil {
		t.Fatal(err)
	}
	third := o.last(t, mail.KindPasswordReset, u.Email)
	expire(t, s, u.ID)
	if _, err := s.ResetPassword(ctx, third.Token, "one more passphrase", nopRevoke); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("expired: got %v, want ErrTokenInvalid", err)
	}
}

func TestChangePassword(t *testing.T) {
	s, o := newLifecycleService(t)
	ctx := t.Context()
	u := signUp(t, s)
	if err := s.CheckPassword(ctx, u.ID, "wrong"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("CheckPassword(wrong) = %v", err)
	}
	if err := s.CheckPassword(ctx, u.ID, goodPassword); err != nil {
		t.Fatalf("CheckPassword(right) = %v", err)
	}
	if err := s.ChangePassword(ctx, u.ID, "a changed passphrase", nil); err == nil {
		t.Fatal("ChangePassword without a RevokeFunc succeeded")
	}
	if err := s.ChangePassword(ctx, u.ID, "a changed passphrase", nopRevoke); err != nil {
		t.Fatal(err)
	}
	o.last(t, mail.KindPasswordChanged, u.Email)
	if _, err := s.Authenticate(ctx, u.Email, "a changed passphrase"); err != nil {
		t.Fatalf("new password: %v", err)
	}
}

func TestEmailChange(t *testing.T) {
	s, o := newLifecycleService(t)
	ctx := t.Context()
	alice, bob := signUp(t, s), signUp(t, s)
	if err := s.RequestEmailChange(ctx, alice.ID, strings.ToUpper(alice.Email)); !errors.Is(err, ErrSameEmail) {
		t.Fatalf("same address: got %v", err)
	}
	newEmail := uniqueEmail()
	if err := s.RequestEmailChange(ctx, alice.ID, newEmail); err != nil {
		t.Fatal(err)
	}
	link := o.last(t, mail.KindEmailChange, newEmail)
	notice := o.last(t, mail.KindEmailChangeNotice, alice.Email)
	if notice.Token != "" || notice.NewEmail != newEmail {
		t.Fatalf("notice to the old address = %+v", notice)
	}
	// Another user cannot spend it, and trying does not spend it.
	if _, err := s.ConfirmEmailChange(ctx, bob.ID, link.Token); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("another user's token: got %v", err)
	}
	got, err := s.ConfirmEmailChange(ctx, alice.ID, link.Token)
	if err != nil || !strings.EqualFold(got.Email, newEmail) || !got.EmailVerified {
		t.Fatalf("ConfirmEmailChange = %+v, %v", got, err)
	}
	if _, err := s.ConfirmEmailChange(ctx, alice.ID, link.Token); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("second use: got %v", err)
	}

	// Taken meanwhile: 409, and the link still works once it is free.
	if err := s.RequestEmailChange(ctx, bob.ID, "Taken-"+newEmail); err != nil {
		t.Fatal(err)
	}
	link = o.last(t, mail.KindEmailChange, "taken-"+newEmail)
	if err := s.RequestEmailChange(ctx, alice.ID, "taken-"+newEmail); err != nil {
		t.Fatal(err)
	}
	aliceLink := o.last(t, mail.KindEmailChange, "taken-"+newEmail)
	if _, err := s.ConfirmEmailChange(ctx, alice.ID, aliceLink.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConfirmEmailChange(ctx, bob.ID, link.Token); !errors.Is(err, ErrEmailTaken) {
		t.Fatalf("taken meanwhile: got %v, want ErrEmailTaken", err)
	}
}

func TestEmailChangeExpires(t *testing.T) {
	s, o := newLifecycleService(t)
	u := signUp(t, s)
	newEmail := uniqueEmail()
	if err := s.RequestEmailChange(t.Context(), u.ID, newEmail); err != nil {
		t.Fatal(err)
	}
	link := o.last(t, mail.KindEmailChange, newEmail)
	expire(t, s, u.ID)
	if _, err := s.ConfirmEmailChange(t.Context(), u.ID, link.Token); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("expired: got %v, want ErrTokenInvalid", err)
	}
}

// A verification link proves the address, not the password: the password
// stays only when the link came from the sign-up that chose it.
func TestVerifyEmailKeepsOnlyTheSignupsPassword(t *testing.T) {
	s, o := newLifecycleService(t)
	ctx := t.Context()

	own := uniqueEmail()
	if err := s.Register(ctx, own, goodPassword, "Own"); err != nil {
		t.Fatal(err)
	}
	var revoked uuid.UUID
	u, err := s.VerifyEmail(ctx, o.last(t, mail.KindVerifyEmail, own).Token, func(_ context.Context, id uuid.UUID) error { revoked = id; return nil })
	if err != nil || revoked != u.ID {
		t.Fatalf("VerifyEmail = %v, revoked %v", err, revoked)
	}
	if _, err := s.Authenticate(ctx, own, goodPassword); err != nil {
		t.Fatalf("the sign-up's own password after its own link: %v", err)
	}

	// Someone signs up with another's address; the owner asks for the
	// link again and follows it: the stranger's password is gone.
	victim := uniqueEmail()
	if err := s.Register(ctx, victim, "the strangers passphrase", "Stranger"); err != nil {
		t.Fatal(err)
	}
	if err := s.RunTask(ctx, TaskVerificationResend, victim); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifyEmail(ctx, o.last(t, mail.KindVerifyEmail, victim).Token, nopRevoke); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, victim, "the strangers passphrase"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("the stranger's password after a resent link: %v", err)
	}
}

// A reset or a change ends every outstanding link, of every purpose.
func TestCredentialChangesVoidEveryLink(t *testing.T) {
	s, o := newLifecycleService(t)
	ctx := t.Context()
	u, err := s.SignUp(ctx, uniqueEmail(), goodPassword, "Held")
	if err != nil {
		t.Fatal(err)
	}
	verify := o.last(t, mail.KindVerifyEmail, u.Email)
	newEmail := uniqueEmail()
	if err := s.RequestEmailChange(ctx, u.ID, newEmail); err != nil {
		t.Fatal(err)
	}
	change := o.last(t, mail.KindEmailChange, newEmail)
	if err := s.RunTask(ctx, TaskPasswordReset, u.Email); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResetPassword(ctx, o.last(t, mail.KindPasswordReset, u.Email).Token, "a reset passphrase", nopRevoke); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifyEmail(ctx, verify.Token, nopRevoke); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("a verification link after a reset: %v", err)
	}
	if _, err := s.ConfirmEmailChange(ctx, u.ID, change.Token); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("an email-change link after a reset: %v", err)
	}

	// And a link for an address verified meanwhile is spent for nothing.
	v, err := s.SignUp(ctx, uniqueEmail(), goodPassword, "Twice")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkEmailVerified(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifyEmail(ctx, o.last(t, mail.KindVerifyEmail, v.Email).Token, nopRevoke); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("a verification link for a verified address: %v", err)
	}
}

func TestDeleteOldSecurityEvents(t *testing.T) {
	s, _ := newLifecycleService(t)
	ctx := t.Context()
	u := signUp(t, s)
	for range 2 {
		if err := s.RecordSecurityEvent(ctx, u.ID, EventLogin); err != nil {
			t.Fatal(err)
		}
	}
	// As the owner: the runtime role may not rewrite the log.
	if _, err := dbtest.New(t).Owner.Exec(ctx, "UPDATE security_events SET created_at = now() - interval '181 days' WHERE id = (SELECT id FROM security_events WHERE user_id = $1 LIMIT 1)", u.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteOldSecurityEvents(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteOldSecurityEvents = %d, %v; want 1", n, err)
	}
	if events, err := s.SecurityEvents(ctx, u.ID, time.Time{}, uuid.Nil, 10); err != nil || len(events) != 1 {
		t.Fatalf("left: %d, %v; want 1", len(events), err)
	}
}
