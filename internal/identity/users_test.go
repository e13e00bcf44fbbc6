package identity

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/problem"
	"github.com/tenantkit/tenantkit/internal/validation"
)

func TestSignUp(t *testing.T) {
	s, probe := newTestService(t, Config{})
	email := uniqueEmail()
	got, err := s.SignUp(t.Context(), "  "+strings.ToUpper(email[:1])+email[1:]+"\n", goodPassword, "  Ada Lovelace ")
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	want := User{Email: strings.ToUpper(email[:1]) + email[1:], Name: "Ada Lovelace"}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(User{}, "ID", "CreatedAt")); diff != "" {
		t.Errorf("SignUp (-want +got):\n%s", diff)
	}
	if got.ID == uuid.Nil || got.CreatedAt.IsZero() {
		t.Errorf("SignUp returned no id or creation time: %+v", got)
	}
	if n := probe.calls.Load(); n != 1 {
		t.Errorf("KDF runs = %d, want 1", n)
	}
	stored, err := s.User(t.Context(), got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, stored); diff != "" {
		t.Errorf("User after SignUp (-signup +stored):\n%s", diff)
	}
	var hash string
	if err := appPool(t).QueryRow(t.Context(), "SELECT hash FROM password_credentials WHERE user_id = $1", got.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(hash, goodPassword) {
		t.Errorf("stored hash = %q, want an argon2id PHC string at the configured parameters", hash)
	}
}

func TestSignUpDuplicateEmail(t *testing.T) {
	s, _ := newTestService(t, Config{})
	email := uniqueEmail()
	if _, err := s.SignUp(t.Context(), email, goodPassword, "First"); err != nil {
		t.Fatal(err)
	}
	for _, dup := range []string{email, strings.ToUpper(email), " " + email + " ", "\t" + strings.ToUpper(email[:3]) + email[3:]} {
		if _, err := s.SignUp(t.Context(), dup, goodPassword, "Second"); !errors.Is(err, ErrEmailTaken) {
			t.Errorf("SignUp(%q) = %v, want ErrEmailTaken", dup, err)
		}
	}
}

func TestSignUpRejects(t *testing.T) {
	s, probe := newTestService(t, Config{MinPasswordLength: 10})
	email := uniqueEmail()
	tests := []struct {
		name, email, password, userName string
		wantFields                      []string // validation.Errors fields; nil means ErrWeakPassword
	}{
		{"bad email", "not-an-email", goodPassword, "Ada", []string{"email"}},
		{"email with display name", "Ada <" + email + ">", goodPassword, "Ada", []string{"email"}},
		{"email with NUL", "ada\x00" + email, goodPassword, "Ada", []string{"email"}},
		{"email invalid UTF-8", "\xfe" + email, goodPassword, "Ada", []string{"email"}},
		{"empty name", email, goodPassword, "  ", []string{"name"}},
		{"name with NUL", email, goodPassword, "A\x00da", []string{"name"}},
		{"name invalid UTF-8", email, goodPassword, "Ada\xc3\x28", []string{"name"}},
		{"name too long", email, goodPassword, strings.Repeat("n", 201), []string{"name"}},
		{"name with byte-order mark", email, goodPassword, "\ufeffAda", []string{"name"}},
		{"name with zero-width space", email, goodPassword, "A\u200bda", []string{"name"}},
		{"email with zero-width space", "a\u200b" + email, goodPassword, "Ada", []string{"email"}},
		{"password too long", email, strings.Repeat("p", 257), "Ada", []string{"password"}},
		{"password invalid UTF-8", email, goodPassword + "\xff", "Ada", []string{"password"}},
		{"password with NUL", email, "correct\x00horse", "Ada", []string{"password"}},
		{"everything at once", "x", "", "", []string{"email", "name", "password"}},
		{"password too short", email, "9chars!x?", "Ada", nil},
		{"common password", email, "qwertyuiop", "Ada", nil},
		{"common password any case", email, "QWERTYuiop", "Ada", nil},
		{"password is the email", email, strings.ToUpper(email), "Ada", nil},
		{"password is the local part", "ada.lovelace.x@example.com", "Ada.Lovelace.X", "Ada", nil},
		{"password is the name", email, "ada byron lovelace", "Ada Byron Lovelace", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.SignUp(t.Context(), tt.email, tt.password, tt.userName)
			if tt.wantFields == nil {
				if !errors.Is(err, ErrWeakPassword) {
					t.Errorf("SignUp = %v, want ErrWeakPassword", err)
				}
				return
			}
			fe, ok := errors.AsType[validation.Errors](err)
			if !ok {
				t.Fatalf("SignUp = %v, want validation.Errors", err)
			}
			var fields []string
			for _, f := range fe {
				fields = append(fields, f.Field)
			}
			if diff := cmp.Diff(tt.wantFields, fields); diff != "" {
				t.Errorf("problem fields (-want +got):\n%s", diff)
			}
		})
	}
	if n := probe.calls.Load(); n != 0 {
		t.Errorf("KDF runs = %d, want 0: rejected input must not be hashed", n)
	}
	var n int
	if err := appPool(t).QueryRow(t.Context(), "SELECT count(*) FROM users WHERE lower(email) = lower($1)", email).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d users created by rejected sign-ups", n)
	}
}

func TestSignUpWeakPasswordReason(t *testing.T) {
	s, _ := newTestService(t, Config{})
	_, err := s.SignUp(t.Context(), uniqueEmail(), "short", "Ada")
	// The HTTP layer shows the problem's detail to the user.
	pe, ok := errors.AsType[*problem.Error](err)
	if !ok || !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("error = %v, want a detailed ErrWeakPassword", err)
	}
	if got, want := pe.Detail, "The password is too weak: use at least 8 characters."; got != want {
		t.Errorf("detail = %q, want %q", got, want)
	}
}

// TestSignUpConcurrent: racing sign-ups with one email (in different case)
// create exactly one user; every other gets ErrEmailTaken.
func TestSignUpConcurrent(t *testing.T) {
	s, _ := newTestService(t, Config{})
	email := uniqueEmail()
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			e := email
			if i%2 == 1 {
				e = " " + strings.ToUpper(email)
			}
			_, errs[i] = s.SignUp(t.Context(), e, goodPassword, "Racer")
		})
	}
	wg.Wait()
	var ok, taken int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrEmailTaken):
			taken++
		default:
			t.Errorf("SignUp: %v", err)
		}
	}
	if ok != 1 || taken != n-1 {
		t.Errorf("%d succeeded and %d got ErrEmailTaken, want 1 and %d", ok, taken, n-1)
	}
	var users, creds int
	err := appPool(t).QueryRow(t.Context(), `
SELECT count(*), count(c.user_id) FROM users u LEFT JOIN password_credentials c ON c.user_id = u.id
WHERE lower(u.email) = lower($1)`, email).Scan(&users, &creds)
	if err != nil {
		t.Fatal(err)
	}
	if users != 1 || creds != 1 {
		t.Errorf("rows: %d users, %d credentials; want 1 and 1", users, creds)
	}
}

func TestAuthenticate(t *testing.T) {
	s, probe := newTestService(t, Config{})
	email := uniqueEmail()
	user, err := s.SignUp(t.Context(), email, goodPassword, "Ada")
	if err != nil {
		t.Fatal(err)
	}
	disabledEmail := uniqueEmail()
	disabled, err := s.SignUp(t.Context(), disabledEmail, goodPassword, "Gone")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DisableUser(t.Context(), disabled.ID); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, email, password string
		want                  error
		wantKDF               int64 // every lookup runs the KDF exactly once
	}{
		{"right password", email, goodPassword, nil, 1},
		{"email in other case and spaces", "  " + strings.ToUpper(email) + " ", goodPassword, nil, 1},
		{"wrong password", email, goodPassword + "!", ErrInvalidCredentials, 1},
		{"password in other case", email, strings.ToUpper(goodPassword), ErrInvalidCredentials, 1},
		{"unknown email", uniqueEmail(), goodPassword, ErrInvalidCredentials, 1},
		{"malformed but valid-text email", "no-at-sign", goodPassword, ErrInvalidCredentials, 1},
		{"disabled user, right password", disabledEmail, goodPassword, ErrInvalidCredentials, 1},
		{"disabled user, wrong password", disabledEmail, "nope nope nope", ErrInvalidCredentials, 1},
		// These no account can match; the answer depends on the input only.
		{"empty email", "", goodPassword, ErrInvalidCredentials, 0},
		{"email with NUL", email + "\x00", goodPassword, ErrInvalidCredentials, 0},
		{"email invalid UTF-8", email + "\xff", goodPassword, ErrInvalidCredentials, 0},
		{"password too long", email, strings.Repeat("p", 257), ErrInvalidCredentials, 0},
		{"password invalid UTF-8", email, goodPassword + "\xff", ErrInvalidCredentials, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := probe.calls.Load()
			got, err := s.Authenticate(t.Context(), tt.email, tt.password)
			if !errors.Is(err, tt.want) || (tt.want != nil && err != tt.want) { //nolint:errorlint // the sentinel itself, unwrapped
				t.Fatalf("Authenticate = %v, want %v", err, tt.want)
			}
			if tt.want == nil {
				if diff := cmp.Diff(user, got); diff != "" {
					t.Errorf("user (-want +got):\n%s", diff)
				}
			}
			if n := probe.calls.Load() - before; n != tt.wantKDF {
				t.Errorf("KDF runs = %d, want %d", n, tt.wantKDF)
			}
		})
	}
}

// TestAuthenticateNormalizesUnicode: a password typed with a decomposed
// accent matches one set with the composed form (NFKC on both sides).
func TestAuthenticateNormalizesUnicode(t *testing.T) {
	s, _ := newTestService(t, Config{})
	email := uniqueEmail()
	if _, err := s.SignUp(t.Context(), email, "caf\u00e9 au lait, s'il vous pla\u00eet", "Ada"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(t.Context(), email, "cafe\u0301 au lait, s'il vous plai\u0302t"); err != nil {
		t.Errorf("Authenticate with decomposed accents = %v, want success", err)
	}
}

// TestAuthenticateRehash: after the parameters change, a successful login
// replaces the stored hash with one at the new parameters; a failed one
// leaves it.
func TestAuthenticateRehash(t *testing.T) {
	old, _ := newTestService(t, Config{})
	email := uniqueEmail()
	u, err := old.SignUp(t.Context(), email, goodPassword, "Ada")
	if err != nil {
		t.Fatal(err)
	}
	storedHash := func() string {
		t.Helper()
		var h string
		if err := appPool(t).QueryRow(t.Context(), "SELECT hash FROM password_credentials WHERE user_id = $1", u.ID).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	before := storedHash()

	stronger, probe := newTestService(t, Config{Argon2: Argon2Params{Memory: 128, Iterations: 2, Parallelism: 1}})
	if _, err := stronger.Authenticate(t.Context(), email, "wrong password!"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("Authenticate(wrong) = %v", err)
	}
	if got := storedHash(); got != before {
		t.Errorf("a failed login changed the hash")
	}
	if _, err := stronger.Authenticate(t.Context(), email, goodPassword); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	after := storedHash()
	if !strings.HasPrefix(after, "$argon2id$v=19$m=128,t=2,p=1$") {
		t.Errorf("hash after login = %q, want the new parameters", after)
	}
	if n := probe.calls.Load(); n != 3 { // wrong, right, rehash
		t.Errorf("KDF runs = %d, want 3", n)
	}
	// Up to date now: no further rehash, and the new hash verifies.
	if _, err := stronger.Authenticate(t.Context(), email, goodPassword); err != nil {
		t.Fatalf("Authenticate after rehash: %v", err)
	}
	if n := probe.calls.Load(); n != 4 {
		t.Errorf("KDF runs = %d, want 4 (no second rehash)", n)
	}
	if storedHash() != after {
		t.Error("hash changed again although it was current")
	}
}

func TestUserAndDisableUser(t *testing.T) {
	s, _ := newTestService(t, Config{})
	u := signUp(t, s)
	if _, err := s.User(t.Context(), uuid.New()); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("User(unknown) = %v, want ErrUserNotFound", err)
	}
	if err := s.DisableUser(t.Context(), uuid.New()); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("DisableUser(unknown) = %v, want ErrUserNotFound", err)
	}
	for range 2 { // idempotent
		if err := s.DisableUser(t.Context(), u.ID); err != nil {
			t.Fatalf("DisableUser: %v", err)
		}
	}
	got, err := s.User(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := u
	want.Disabled = true
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("User after disable (-want +got):\n%s", diff)
	}
}

// TestDisableUserOnDisable: DisableUser calls Config.OnDisable with the
// user's id once the disable has committed, also for a user disabled
// already; a failing hook leaves the user disabled and says so; a retry
// succeeds.
func TestDisableUserOnDisable(t *testing.T) {
	var (
		mu      sync.Mutex
		calls   []uuid.UUID
		hookErr error
		s       *Service
	)
	s, _ = newTestService(t, Config{OnDisable: func(ctx context.Context, id uuid.UUID) error {
		// Committed: another connection already sees the user disabled.
		if u, err := s.User(ctx, id); err != nil || !u.Disabled {
			t.Errorf("in OnDisable: User = %+v, %v; want a disabled user", u, err)
		}
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, id)
		return hookErr
	}})
	gotCalls := func() []uuid.UUID {
		mu.Lock()
		defer mu.Unlock()
		return append([]uuid.UUID(nil), calls...)
	}
	u := signUp(t, s)

	for range 2 { // idempotent: the second call runs the hook again
		if err := s.DisableUser(t.Context(), u.ID); err != nil {
			t.Fatalf("DisableUser: %v", err)
		}
	}
	if diff := cmp.Diff([]uuid.UUID{u.ID, u.ID}, gotCalls()); diff != "" {
		t.Errorf("OnDisable calls (-want +got):\n%s", diff)
	}

	if err := s.DisableUser(t.Context(), uuid.New()); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("DisableUser(unknown) = %v, want ErrUserNotFound", err)
	}
	if n := len(gotCalls()); n != 2 {
		t.Errorf("OnDisable calls after DisableUser(unknown) = %d, want still 2", n)
	}

	t.Run("hook fails", func(t *testing.T) {
		v := signUp(t, s)
		boom := errors.New("session store unreachable")
		mu.Lock()
		hookErr = boom
		mu.Unlock()
		err := s.DisableUser(t.Context(), v.ID)
		if !errors.Is(err, boom) || errors.Is(err, ErrUserNotFound) {
			t.Fatalf("DisableUser with a failing hook = %v, want it to wrap the hook's error", err)
		}
		if !strings.Contains(err.Error(), "is disabled") {
			t.Errorf("DisableUser error %q does not say the user is disabled", err)
		}
		if got, err := s.User(t.Context(), v.ID); err != nil || !got.Disabled {
			t.Errorf("User after a failed hook = %+v, %v; want disabled", got, err)
		}
		if _, err := s.Authenticate(t.Context(), v.Email, goodPassword); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("Authenticate after a failed hook = %v, want ErrInvalidCredentials", err)
		}

		mu.Lock()
		hookErr = nil
		mu.Unlock()
		if err := s.DisableUser(t.Context(), v.ID); err != nil {
			t.Errorf("DisableUser retry = %v, want nil", err)
		}
		// Three: the failed one, User's (it finds v disabled), the retry.
		if calls := gotCalls(); len(calls) != 5 || calls[2] != v.ID || calls[3] != v.ID || calls[4] != v.ID {
			t.Errorf("OnDisable calls = %v, want three more for %s", calls, v.ID)
		}
	})
}
