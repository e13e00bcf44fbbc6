package app_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/apptest"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/mailtest"
)

// mailWait bounds how long a test waits for a mail to arrive: the job is
// picked up within the test poll interval (50ms), so this is only slack for
// a loaded machine.
const mailWait = 20 * time.Second

// verifyMode is the production default: sign-up answers 202 and the link
// in the mail starts the session.
func verifyMode(c *app.Config) { c.SignupMode = httpapi.SignupVerify }

// mailWith waits for n mails to to and returns the one whose text
// contains substr.
func mailWith(t *testing.T, e *apptest.Env, to string, n int, substr string) mailtest.Received {
	t.Helper()
	msgs := e.Mail.WaitFor(t, to, n, mailWait)
	for _, m := range msgs {
		if strings.Contains(m.Text, substr) {
			return m
		}
	}
	t.Fatalf("none of the %d mails to %s contains %q: %v", len(msgs), to, substr, msgs)
	return mailtest.Received{}
}

// jobsDone waits until no job is left to work: every mail sent.
func jobsDone(t *testing.T, e *apptest.Env) {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for {
		var left int
		err := e.DB.Owner.QueryRow(t.Context(),
			"SELECT count(*) FROM river.river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded') AND kind <> 'cleanup'").Scan(&left)
		if err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still to work after %v", left, mailWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newMailEnv(t *testing.T, configure func(*app.Config)) *apptest.Env {
	t.Helper()
	return apptest.New(t, apptest.Options{Mail: true, Configure: configure})
}

func TestSignupVerifyLogin(t *testing.T) {
	e := newMailEnv(t, verifyMode)
	c := e.Client()
	email := "Vera." + strings.ToLower(time.Now().Format("150405.000000")) + "@example.com"
	const password = "a verified passphrase"

	r := c.Must(http.StatusAccepted, "POST", "/api/auth/signup", map[string]string{"email": email, "password": password, "name": "Vera"})
	if c.SessionCookie() != "" {
		t.Fatal("sign-up in verify mode set a session cookie")
	}
	if got := string(r.Body); got != `{"status":"accepted"}`+"\n" {
		t.Fatalf("body = %q", got)
	}
	// No session before the address is verified.
	r = c.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": password})
	if r.Status != http.StatusForbidden || r.Code(t) != "email_unverified" || c.SessionCookie() != "" {
		t.Fatalf("login before verification: %d %s", r.Status, r.Body)
	}

	msg := e.Mail.WaitFor(t, email, 1, mailWait)[0]
	token := mailtest.Token(t, msg, "verify-email")
	browser := e.Client() // the link opens in another browser, say
	browser.Must(http.StatusOK, "POST", "/api/auth/verify-email", map[string]string{"token": token})
	if browser.SessionCookie() == "" {
		t.Fatal("verification did not start a session")
	}
	var me struct {
		User struct {
			Email         string `json:"email"`
			EmailVerified bool   `json:"email_verified"`
		} `json:"user"`
	}
	browser.Must(http.StatusOK, "GET", "/api/me", nil).Decode(t, &me)
	if !me.User.EmailVerified || !strings.EqualFold(me.User.Email, email) {
		t.Fatalf("/api/me after verification = %+v", me.User)
	}
	// A verified user can create a tenant and log in elsewhere.
	browser.Must(http.StatusCreated, "POST", "/api/tenants", map[string]string{"name": "Vera Co", "slug": "vera-" + strings.ToLower(time.Now().Format("150405000000"))})
	c.Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": email, "password": password})

	// The link works once.
	r = e.Client().Do("POST", "/api/auth/verify-email", map[string]string{"token": token})
	if r.Status != http.StatusBadRequest || r.Code(t) != "invalid_token" {
		t.Fatalf("second use: %d %s", r.Status, r.Body)
	}
}

func TestVerificationLinkExpires(t *testing.T) {
	e := newMailEnv(t, verifyMode)
	email := "late-" + strings.ToLower(time.Now().Format("150405.000000")) + "@example.com"
	e.Client().Must(http.StatusAccepted, "POST", "/api/auth/signup", map[string]string{"email": email, "password": "a patient passphrase", "name": "Late"})
	first := mailtest.Token(t, e.Mail.WaitFor(t, email, 1, mailWait)[0], "verify-email")
	if _, err := e.DB.Owner.Exec(t.Context(), "UPDATE account_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	r := e.Client().Do("POST", "/api/auth/verify-email", map[string]string{"token": first})
	if r.Status != http.StatusBadRequest || r.Code(t) != "invalid_token" {
		t.Fatalf("expired link: %d %s", r.Status, r.Body)
	}
	// A new link (resend) works, and the expired one still does not.
	e.Client().Must(http.StatusAccepted, "POST", "/api/auth/verify-email/resend", map[string]string{"email": email})
	var second string
	for _, m := range e.Mail.WaitFor(t, email, 2, mailWait) {
		if tok := mailtest.Token(t, m, "verify-email"); tok != first {
			second = tok
		}
	}
	e.Client().Must(http.StatusOK, "POST", "/api/auth/verify-email", map[string]string{"token": second})
	if r := e.Client().Do("POST", "/api/auth/verify-email", map[string]string{"token": first}); r.Status != http.StatusBadRequest {
		t.Fatalf("expired link after a new one: %d", r.Status)
	}
}

// sameAnswer fails unless a and b are the same response: status, body and
// every header but the request id and the date.
func sameAnswer(t *testing.T, what string, a, b apptest.Response) {
	t.Helper()
	if a.Status != b.Status || string(a.Body) != string(b.Body) {
		t.Errorf("%s: %d %s vs %d %s", what, a.Status, a.Body, b.Status, b.Body)
	}
	keys := func(h http.Header) []string {
		var ks []string
		for k := range h {
			// The rate-limit headers count the caller's own requests.
			if k != "X-Request-Id" && k != "Date" && !strings.HasPrefix(k, "X-Ratelimit-") {
				ks = append(ks, k+": "+strings.Join(h.Values(k), ", "))
			}
		}
		slices.Sort(ks)
		return ks
	}
	if ka, kb := keys(a.Header), keys(b.Header); !slices.Equal(ka, kb) {
		t.Errorf("%s: headers differ:\n%q\n%q", what, ka, kb)
	}
}

func TestSignupAndResetDoNotTellAddressesApart(t *testing.T) {
	e := newMailEnv(t, nil)
	owner := e.Signup("Owner")
	e.Mail.WaitFor(t, owner.Email, 1, mailWait) // the sign-up's own verification mail
	e.Rebuild(verifyMode)
	unknown := "nobody-" + strings.ToLower(time.Now().Format("150405000000")) + "@example.com"

	signup := func(email string) apptest.Response {
		return e.Client().Do("POST", "/api/auth/signup", map[string]string{"email": email, "password": "another fine passphrase", "name": "Someone"})
	}
	sameAnswer(t, "sign-up", signup(owner.Email), signup(unknown))
	reset := func(email string) apptest.Response {
		return e.Client().Do("POST", "/api/auth/password-reset", map[string]string{"email": email})
	}
	sameAnswer(t, "password reset", reset(owner.Email), reset("nobody-else@example.com"))
	resend := func(email string) apptest.Response {
		return e.Client().Do("POST", "/api/auth/verify-email/resend", map[string]string{"email": email})
	}
	sameAnswer(t, "resend", resend(owner.Email), resend("nobody-else@example.com"))

	// The owner hears of the attempt (with a way to reset, no token) and
	// gets the reset link; the new address gets its verification link.
	var attempt, resetMail bool
	for _, m := range e.Mail.WaitFor(t, owner.Email, 3, mailWait)[1:] {
		switch {
		case strings.Contains(m.Subject, "sign up") || strings.Contains(strings.ToLower(m.Subject), "sign-up"):
			attempt = !strings.Contains(m.Text, "token=")
		case strings.Contains(m.Text, "/reset-password?token="):
			resetMail = true
		}
	}
	if !attempt || !resetMail {
		t.Errorf("owner's mail: attempt %v, reset %v: %v", attempt, resetMail, e.Mail.Messages())
	}
	mailtest.Token(t, e.Mail.WaitFor(t, unknown, 1, mailWait)[0], "verify-email")
}

func TestPasswordResetEndsEverySession(t *testing.T) {
	e := newMailEnv(t, nil)
	u := e.Signup("Rita")
	other := e.Client()
	other.Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password})

	e.Client().Must(http.StatusAccepted, "POST", "/api/auth/password-reset", map[string]string{"email": u.Email})
	var token string
	for _, m := range e.Mail.WaitFor(t, u.Email, 2, mailWait) { // the sign-up's verification, then the reset
		if strings.Contains(m.Text, "/reset-password?token=") {
			token = mailtest.Token(t, m, "reset-password")
		}
	}
	if token == "" {
		t.Fatalf("no reset mail: %v", e.Mail.Messages())
	}
	anon := e.Client()
	r := anon.Do("POST", "/api/auth/password-reset/confirm", map[string]string{"token": token, "password": "password"})
	if r.Status != http.StatusUnprocessableEntity || r.Code(t) != "weak_password" {
		t.Fatalf("weak password: %d %s", r.Status, r.Body)
	}
	const newPassword = "a freshly reset passphrase"
	anon.Must(http.StatusNoContent, "POST", "/api/auth/password-reset/confirm", map[string]string{"token": token, "password": newPassword})

	for name, c := range map[string]*apptest.Client{"first": u.Client, "second": other} {
		if r := c.Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("the %s session after the reset: %d", name, r.Status)
		}
	}
	if r := e.Client().Do("POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password}); r.Status != http.StatusUnauthorized {
		t.Errorf("old password after the reset: %d", r.Status)
	}
	e.Client().Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": newPassword})
	r = anon.Do("POST", "/api/auth/password-reset/confirm", map[string]string{"token": token, "password": "yet another passphrase"})
	if r.Status != http.StatusBadRequest || r.Code(t) != "invalid_token" {
		t.Fatalf("second use: %d %s", r.Status, r.Body)
	}
	// The owner is told.
	if !slices.ContainsFunc(e.Mail.WaitFor(t, u.Email, 3, mailWait), func(m mailtest.Received) bool {
		return !strings.Contains(m.Text, "token=")
	}) {
		t.Error("no notice of the change (a mail without a link)")
	}

	// An expired link is refused like a used one.
	e.Client().Must(http.StatusAccepted, "POST", "/api/auth/password-reset", map[string]string{"email": u.Email})
	used := token
	for _, m := range e.Mail.WaitFor(t, u.Email, 4, mailWait) {
		if strings.Contains(m.Text, "/reset-password?token=") && !strings.Contains(m.Text, used) {
			token = mailtest.Token(t, m, "reset-password")
		}
	}
	if token == used {
		t.Fatal("no second reset mail")
	}
	if _, err := e.DB.Owner.Exec(t.Context(), "UPDATE account_tokens SET created_at = now() - interval '1 hour', expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	r = anon.Do("POST", "/api/auth/password-reset/confirm", map[string]string{"token": token, "password": "yet another passphrase"})
	if r.Status != http.StatusBadRequest || r.Code(t) != "invalid_token" {
		t.Fatalf("expired: %d %s", r.Status, r.Body)
	}
}

func TestChangePassword(t *testing.T) {
	e := newMailEnv(t, nil)
	u := e.Signup("Carl")
	other := e.Client()
	other.Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password})
	before := u.SessionCookie()

	// A fresh login needs no password.
	u.Must(http.StatusNoContent, "POST", "/api/me/password", map[string]string{"new_password": "a changed passphrase"})
	if after := u.SessionCookie(); after == "" || after == before {
		t.Errorf("the session was not moved to a new token")
	}
	u.Must(http.StatusOK, "GET", "/api/me", nil)
	if r := u.WithCookie(before).Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("the old token after the change: %d", r.Status)
	}
	if r := other.Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("another session after the change: %d", r.Status)
	}

	// Past the re-auth window the current password is required.
	e.Rebuild(func(c *app.Config) { c.ReauthWindow = time.Millisecond })
	time.Sleep(5 * time.Millisecond)
	r := u.Do("POST", "/api/me/password", map[string]string{"new_password": "a third passphrase"})
	if r.Status != http.StatusForbidden || r.Code(t) != "reauth_required" {
		t.Fatalf("stale login without password: %d %s", r.Status, r.Body)
	}
	r = u.Do("POST", "/api/me/password", map[string]string{"current_password": "wrong one", "new_password": "a third passphrase"})
	if r.Status != http.StatusForbidden || r.Code(t) != "wrong_password" {
		t.Fatalf("wrong current password: %d %s", r.Status, r.Body)
	}
	u.Must(http.StatusNoContent, "POST", "/api/me/password", map[string]string{"current_password": "a changed passphrase", "new_password": "a third passphrase"})
	e.Client().Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": "a third passphrase"})
	// Two notices (and the sign-up's verification mail).
	e.Mail.WaitFor(t, u.Email, 3, mailWait)
}

func TestChangeEmail(t *testing.T) {
	e := newMailEnv(t, nil)
	u := e.Signup("Erin")
	newEmail := "erin-new-" + strings.ToLower(time.Now().Format("150405000000")) + "@example.com"
	r := u.Do("POST", "/api/me/email", map[string]string{"email": u.Email})
	if r.Status != http.StatusUnprocessableEntity || r.Code(t) != "same_email" {
		t.Fatalf("same address: %d %s", r.Status, r.Body)
	}
	u.Must(http.StatusAccepted, "POST", "/api/me/email", map[string]string{"email": newEmail, "password": apptest.Password})
	token := mailtest.Token(t, e.Mail.WaitFor(t, newEmail, 1, mailWait)[0], "confirm-email")
	notice := mailWith(t, e, u.Email, 2, newEmail) // and the sign-up's verification mail
	if strings.Contains(notice.Text, "token=") {
		t.Errorf("notice to the old address: %s", notice.Text)
	}
	// Only the user who asked can confirm.
	stranger := e.Signup("Stranger")
	if r := stranger.Do("POST", "/api/me/email/confirm", map[string]string{"token": token}); r.Status != http.StatusBadRequest {
		t.Fatalf("another user's confirmation: %d %s", r.Status, r.Body)
	}
	var got struct {
		User struct {
			Email         string `json:"email"`
			EmailVerified bool   `json:"email_verified"`
		} `json:"user"`
	}
	u.Must(http.StatusOK, "POST", "/api/me/email/confirm", map[string]string{"token": token}).Decode(t, &got)
	if got.User.Email != newEmail || !got.User.EmailVerified {
		t.Fatalf("after the change: %+v", got.User)
	}
	if r := u.Do("POST", "/api/me/email/confirm", map[string]string{"token": token}); r.Status != http.StatusBadRequest || r.Code(t) != "invalid_token" {
		t.Fatalf("second use: %d %s", r.Status, r.Body)
	}
	e.Client().Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": newEmail, "password": apptest.Password})
}

// Stopping the SMTP server loses nothing: the job fails, is retried with
// backoff, and the mail arrives once the server is back.
func TestMailSurvivesSMTPOutage(t *testing.T) {
	e := newMailEnv(t, nil)
	u := e.Signup("Otto")
	jobsDone(t, e) // the verification mail is out
	e.Mail.Stop()
	e.Client().Must(http.StatusAccepted, "POST", "/api/auth/password-reset", map[string]string{"email": u.Email})
	// Wait until the job has failed at least once.
	deadline := time.Now().Add(mailWait)
	for {
		var attempts int
		err := e.DB.Owner.QueryRow(t.Context(),
			"SELECT coalesce(max(attempt), 0) FROM river.river_job WHERE kind = 'mail' AND state IN ('retryable', 'available', 'running') AND errors IS NOT NULL").Scan(&attempts)
		if err != nil {
			t.Fatal(err)
		}
		if attempts >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the mail job never failed against the stopped server")
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.Mail.Restart(t)
	mailtest.Token(t, mailWith(t, e, u.Email, 2, "/reset-password?token="), "reset-password")
	jobsDone(t, e)
	if got := len(e.Mail.WaitFor(t, u.Email, 2, mailWait)); got != 2 {
		t.Errorf("%d mails to %s, want 2 (verification, reset)", got, u.Email)
	}
}

// Every route that mails an address spends its hourly budget: past it,
// sign-up and reset still answer 202 but mail nothing, and an email change
// is refused.
func TestMailBudgetPerAddress(t *testing.T) {
	e := newMailEnv(t, func(c *app.Config) {
		c.RateLimits.MailPerAddress = 2
	})
	u := e.Signup("Budget")
	e.Rebuild(func(c *app.Config) {
		c.RateLimits.MailPerAddress = 2
		c.SignupMode = httpapi.SignupVerify
	})
	target := "flooded-" + strings.ToLower(time.Now().Format("150405.000000")) + "@example.com"
	for range 4 {
		e.Client().Must(http.StatusAccepted, "POST", "/api/auth/signup", map[string]string{"email": target, "password": "a long enough passphrase", "name": "Win a prize"})
	}
	for range 2 {
		u.Must(http.StatusAccepted, "POST", "/api/me/email", map[string]string{"email": "other-" + target})
	}
	_ = e.Mail.WaitFor(t, target, 2, mailWait)
	r := u.Do("POST", "/api/me/email", map[string]string{"email": "other-" + target})
	if r.Status != http.StatusTooManyRequests || r.Code(t) != "rate_limited" {
		t.Fatalf("email change past the budget: %d %s", r.Status, r.Body)
	}
	jobsDone(t, e)
	if got := len(e.Mail.WaitFor(t, target, 2, mailWait)); got != 2 {
		t.Errorf("%d mails to one address, want the budget of 2", got)
	}
}

// Wrong current passwords are failed logins to the account: a stolen
// session guesses no faster than the login form allows.
func TestReauthGuessesCountAsFailedLogins(t *testing.T) {
	e := newMailEnv(t, func(c *app.Config) { c.RateLimits.LoginPerAccount = 2 })
	u := e.Signup("Guessed")
	for range 2 {
		r := u.Do("POST", "/api/me/password", map[string]string{"current_password": "a wrong guess", "new_password": "a stolen passphrase"})
		if r.Status != http.StatusForbidden || r.Code(t) != "wrong_password" {
			t.Fatalf("wrong current password: %d %s", r.Status, r.Body)
		}
	}
	r := u.Do("POST", "/api/me/password", map[string]string{"current_password": apptest.Password, "new_password": "a stolen passphrase"})
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("third try, right password: %d %s; want 429", r.Status, r.Body)
	}
	if r := e.Client().Do("POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("login from the same client after the guesses: %d; want 429", r.Status)
	}
}
