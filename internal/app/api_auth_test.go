package app_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/apptest"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
)

func TestSignupLoginLogout(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T, e *apptest.Env) {
		u := e.Signup("ada")
		if u.SessionCookie() == "" {
			t.Fatal("signup set no session cookie")
		}
		me := u.Must(http.StatusOK, "GET", "/api/me", nil).JSON(t)
		if got := me["user"].(map[string]any)["email"]; got != u.Email {
			t.Errorf("me.user.email = %v, want %v", got, u.Email)
		}
		if me["tenant"] != nil || me["role"] != nil {
			t.Errorf("me.tenant/role = %v/%v, want null/null", me["tenant"], me["role"])
		}

		// Log in again from a second browser.
		c := e.Client()
		r := c.Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": "  " + strings.ToUpper(u.Email) + " ", "password": apptest.Password})
		if got := r.JSON(t)["user"].(map[string]any)["id"]; got != u.ID {
			t.Errorf("login user id = %v, want %v", got, u.ID)
		}

		// Logout deletes the server-side record: the old cookie is refused.
		old := c.SessionCookie()
		r = c.Must(http.StatusNoContent, "POST", "/api/auth/logout", nil)
		if !clearsCookie(r.Header) {
			t.Errorf("logout did not clear the cookie: %v", r.Header.Values("Set-Cookie"))
		}
		replay := c.WithCookie(old)
		if got := replay.Do("GET", "/api/me", nil); got.Status != http.StatusUnauthorized || got.Code(t) != "unauthenticated" {
			t.Errorf("old cookie after logout: %d %s, want 401 unauthenticated", got.Status, got.Body)
		}
		// The first browser is unaffected.
		u.Must(http.StatusOK, "GET", "/api/me", nil)
		// Logging out twice is a 401, not a 500.
		if got := c.Do("POST", "/api/auth/logout", nil); got.Status != http.StatusUnauthorized {
			t.Errorf("second logout: %d, want 401", got.Status)
		}
	})
}

func clearsCookie(h http.Header) bool {
	for _, c := range h.Values("Set-Cookie") {
		if strings.Contains(c, "Max-Age=0") || strings.Contains(c, "Expires=Thu, 01 Jan 1970") {
			return true
		}
	}
	return false
}

func TestUnauthenticatedRoutes(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	c := e.Client()
	routes := []struct{ method, path string }{
		{"POST", "/api/auth/logout"}, {"GET", "/api/me"}, {"GET", "/api/me/sessions"},
		{"DELETE", "/api/me/sessions/00000000-0000-0000-0000-000000000000"}, {"POST", "/api/me/sessions/revoke-others"},
		{"PUT", "/api/me/tenant"}, {"GET", "/api/tenants"}, {"POST", "/api/tenants"}, {"GET", "/api/members"},
		{"GET", "/api/projects"}, {"POST", "/api/projects"}, {"GET", "/api/projects/00000000-0000-0000-0000-000000000000"},
		{"PATCH", "/api/projects/00000000-0000-0000-0000-000000000000"}, {"DELETE", "/api/projects/00000000-0000-0000-0000-000000000000"},
		{"GET", "/api/t/acme/projects"},
	}
	for _, rt := range routes {
		r := c.Do(rt.method, rt.path, nil)
		if r.Status != http.StatusUnauthorized || r.Code(t) != "unauthenticated" {
			t.Errorf("%s %s: %d %s, want 401 unauthenticated", rt.method, rt.path, r.Status, r.Body)
		}
	}
	// A forged or unknown cookie is the same as none.
	forged := c.WithCookie("forged-token-value")
	if r := forged.Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("forged cookie: %d, want 401", r.Status)
	}
	// An invalid bearer token is refused, never ignored.
	if r := c.Do("GET", "/api/me", nil, apptest.Header{Key: "Authorization", Value: "Bearer abc"}); r.Status != http.StatusUnauthorized || r.Code(t) != "invalid_token" {
		t.Errorf("bearer: %d %s, want 401 invalid_token", r.Status, r.Body)
	}
	// A bearer token next to a valid session cookie: judged by neither.
	u := e.Signup("bearer")
	if r := u.Do("GET", "/api/me", nil, apptest.Header{Key: "Authorization", Value: "bearer abc"}); r.Status != http.StatusBadRequest || r.Code(t) != "ambiguous_credentials" {
		t.Errorf("bearer with a cookie: %d %s, want 400 ambiguous_credentials", r.Status, r.Body)
	}
	// Another scheme (a proxy's Basic auth) is not ours: the cookie decides.
	u.Must(http.StatusOK, "GET", "/api/me", nil, apptest.Header{Key: "Authorization", Value: "Basic dXNlcjpwYXNz"})
}

func TestSignupErrors(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	taken := e.Signup("taken")
	c := e.Client()
	good := map[string]string{"email": "new@example.com", "password": apptest.Password, "name": "New"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		maps.Copy(m, good)
		m[k] = v
		return m
	}
	tests := []struct {
		name       string
		body       any
		headers    []apptest.Header
		wantStatus int
		wantCode   string
	}{
		{"email taken, other case and spaces", with("email", " "+strings.ToUpper(taken.Email)+" "), nil, 409, "email_taken"},
		{"short password", with("password", "short"), nil, 422, "weak_password"},
		{"common password", with("password", "password123"), nil, 422, "weak_password"},
		{"bad email", with("email", "not-an-email"), nil, 400, "invalid_request"},
		{"empty name", with("name", "  "), nil, 400, "invalid_request"},
		{"NUL in name", with("name", "a\x00b"), nil, 400, "invalid_request"},
		{"unknown field", `{"email":"x@example.com","password":"correct horse battery staple","name":"x","admin":true}`, nil, 400, "invalid_json"},
		{"trailing data", `{"email":"x@example.com","password":"correct horse battery staple","name":"x"} {}`, nil, 400, "invalid_json"},
		{"malformed JSON", `{"email":`, nil, 400, "invalid_json"},
		{"not an object", `[1,2]`, nil, 400, "invalid_json"},
		{"wrong type", `{"email":1}`, nil, 400, "invalid_json"},
		{"empty body", ``, nil, 400, "invalid_json"},
		{"invalid UTF-8", []byte("{\"email\":\"x@example.com\",\"password\":\"correct horse battery staple\",\"name\":\"\xff\xfe\"}"), nil, 400, "invalid_json"},
		{"wrong content type", `{}`, []apptest.Header{{Key: "Content-Type", Value: "text/plain"}}, 415, "unsupported_media_type"},
		{"body too large", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, nil, 413, "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Do("POST", "/api/auth/signup", tt.body, tt.headers...)
			if r.Status != tt.wantStatus || r.Code(t) != tt.wantCode {
				t.Errorf("got %d %s, want %d %s", r.Status, r.Body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

// TestLoginFailuresAreUniform: unknown email, wrong password and a disabled
// user get the same status and body (but the request id).
func TestLoginFailuresAreUniform(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	u := e.Signup("uniform")
	disabled := e.Signup("disabled")
	if err := e.App.Identity.DisableUser(t.Context(), mustUUID(t, disabled.ID)); err != nil {
		t.Fatal(err)
	}
	c := e.Client()
	var bodies []map[string]any
	for _, creds := range []map[string]string{
		{"email": "nobody-" + u.Email, "password": apptest.Password},
		{"email": u.Email, "password": "wrong horse battery staple"},
		{"email": disabled.Email, "password": apptest.Password},
	} {
		r := c.Do("POST", "/api/auth/login", creds)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("%v: status %d, want 401", creds, r.Status)
		}
		if len(r.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("failed login set a cookie")
		}
		b := r.JSON(t)
		delete(b, "request_id")
		bodies = append(bodies, b)
	}
	for i := 1; i < len(bodies); i++ {
		if diff := cmp.Diff(bodies[0], bodies[i]); diff != "" {
			t.Errorf("login failure %d differs from the first (-first +this):\n%s", i, diff)
		}
	}
	if bodies[0]["code"] != "invalid_credentials" {
		t.Errorf("code = %v, want invalid_credentials", bodies[0]["code"])
	}
}

func TestRateLimits(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	u := e.Signup("limited")
	// An app with small budgets, on the same database and sessions.
	e.Rebuild(func(c *app.Config) { c.RateLimits = httpapi.RateLimits{AuthPerIP: 5, LoginPerAccount: 3} })
	c := e.Client()
	wrong := map[string]string{"email": u.Email, "password": "wrong horse battery staple"}
	for i := range 3 {
		if r := c.Do("POST", "/api/auth/login", wrong); r.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, r.Status)
		}
	}
	// This client's budget for the account is spent: even the right password waits.
	r := c.Do("POST", "/api/auth/login", map[string]string{"email": strings.ToUpper(u.Email), "password": apptest.Password})
	if r.Status != http.StatusTooManyRequests || r.Code(t) != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Errorf("4th login: %d %s (Retry-After %q), want 429 rate_limited", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	// Another account from the same IP still has budget until the IP's runs out.
	if r := c.Do("POST", "/api/auth/login", map[string]string{"email": "other@example.com", "password": "x"}); r.Status != http.StatusUnauthorized {
		t.Errorf("other account: %d, want 401", r.Status)
	}
	if r := c.Do("POST", "/api/auth/signup", map[string]string{"email": "x"}); r.Status != http.StatusTooManyRequests {
		t.Errorf("6th auth request from the IP: %d, want 429", r.Status)
	}
	// Authenticated routes are not limited by it.
	u.Must(http.StatusOK, "GET", "/api/me", nil)
}
