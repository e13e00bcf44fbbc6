package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func mustUUID(t testing.TB, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestFixation: the token changes on login and on tenant switch, the old one
// stops working, and a token the client chose is never adopted.
func TestFixation(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		u := e.signup("fix")
		creds := map[string]string{"email": u.Email, "password": "correct horse battery staple"}

		t.Run("planted token is not adopted", func(t *testing.T) {
			planted := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			c := e.client().withCookie(planted)
			c.must(http.StatusOK, "POST", "/api/auth/login", creds)
			if got := c.sessionCookie(); got == planted || got == "" {
				t.Fatalf("session token after login = %q, want a new one", got)
			}
			if r := e.client().withCookie(planted).do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
				t.Errorf("planted token authenticates: %d", r.Status)
			}
		})
		t.Run("login renews an existing session's token", func(t *testing.T) {
			c := e.client()
			c.must(http.StatusOK, "POST", "/api/auth/login", creds)
			before := c.sessionCookie()
			c.must(http.StatusOK, "POST", "/api/auth/login", creds)
			after := c.sessionCookie()
			if before == after {
				t.Fatal("token unchanged by a second login")
			}
			if r := c.withCookie(before).do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
				t.Errorf("pre-login token still works: %d", r.Status)
			}
		})
		t.Run("tenant switch renews the token", func(t *testing.T) {
			ten := u.createTenant("Fix")
			before := u.sessionCookie()
			r := u.must(http.StatusOK, "PUT", "/api/me/tenant", map[string]string{"tenant": ten.Slug})
			if got := r.JSON(t)["tenant"].(map[string]any)["id"]; got != ten.ID {
				t.Errorf("switched to %v, want %v", got, ten.ID)
			}
			after := u.sessionCookie()
			if before == after {
				t.Fatal("token unchanged by a tenant switch")
			}
			if r := u.withCookie(before).do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
				t.Errorf("pre-switch token still works: %d", r.Status)
			}
			me := u.must(http.StatusOK, "GET", "/api/me", nil).JSON(t)
			if me["tenant"].(map[string]any)["id"] != ten.ID || me["role"] != "owner" {
				t.Errorf("me after switch = %v", me)
			}
		})
	})
}

func TestCookieAttributes(t *testing.T) {
	tests := []struct {
		secure   bool
		wantName string
		want     []string
		notWant  []string
	}{
		{true, "__Host-tenantkit_session", []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax"}, []string{"Domain="}},
		{false, "tenantkit_session", []string{"Path=/", "HttpOnly", "SameSite=Lax"}, []string{"Domain=", "Secure"}},
	}
	for _, tt := range tests {
		e := newEnvWith(t, "postgres", tt.secure)
		c := e.client()
		email := "cookie-" + uuid.NewString()[:8] + "@example.com"
		r := c.must(http.StatusCreated, "POST", "/api/auth/signup", map[string]string{"email": email, "password": "correct horse battery staple", "name": "C"})
		set := r.Header.Get("Set-Cookie")
		if !strings.HasPrefix(set, tt.wantName+"=") {
			t.Errorf("secure=%v: cookie %q, want name %s", tt.secure, set, tt.wantName)
		}
		for _, w := range tt.want {
			if !strings.Contains(set, w) {
				t.Errorf("secure=%v: cookie %q lacks %s", tt.secure, set, w)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(set, w) {
				t.Errorf("secure=%v: cookie %q has %s", tt.secure, set, w)
			}
		}
	}
}

func TestSessionRoutes(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		u := e.signup("multi")
		other := e.signup("other")
		creds := map[string]string{"email": u.Email, "password": "correct horse battery staple"}
		second, third := e.client(), e.client()
		second.must(http.StatusOK, "POST", "/api/auth/login", creds, hdr{"User-Agent", "second-browser"})
		third.must(http.StatusOK, "POST", "/api/auth/login", creds)

		list := u.must(http.StatusOK, "GET", "/api/me/sessions", nil).JSON(t)["sessions"].([]any)
		if len(list) != 3 {
			t.Fatalf("got %d sessions, want 3", len(list))
		}
		var current int
		var secondID string
		for _, s := range list {
			m := s.(map[string]any)
			if m["current"] == true {
				current++
			}
			if m["user_agent"] == "second-browser" {
				secondID = m["id"].(string)
			}
			for _, k := range []string{"id", "created_at", "last_seen_at", "ip", "user_agent"} {
				if _, ok := m[k]; !ok {
					t.Errorf("session lacks %s: %v", k, m)
				}
			}
		}
		if current != 1 || secondID == "" {
			t.Fatalf("current=%d secondID=%q in %v", current, secondID, list)
		}

		// As another user: someone else's session id is not found, and stays.
		if r := other.do("DELETE", "/api/me/sessions/"+secondID, nil); r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
			t.Errorf("revoking another user's session: %d %s, want 404 not_found", r.Status, r.Body)
		}
		second.must(http.StatusOK, "GET", "/api/me", nil)
		if r := u.do("DELETE", "/api/me/sessions/not-a-uuid", nil); r.Status != http.StatusNotFound {
			t.Errorf("bad id: %d, want 404", r.Status)
		}

		u.must(http.StatusNoContent, "DELETE", "/api/me/sessions/"+secondID, nil)
		if r := second.do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("revoked session still works: %d", r.Status)
		}
		if r := u.do("DELETE", "/api/me/sessions/"+secondID, nil); r.Status != http.StatusNotFound {
			t.Errorf("revoking twice: %d, want 404", r.Status)
		}

		u.must(http.StatusNoContent, "POST", "/api/me/sessions/revoke-others", nil)
		if r := third.do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("other session survived revoke-others: %d", r.Status)
		}
		u.must(http.StatusOK, "GET", "/api/me", nil)
		other.must(http.StatusOK, "GET", "/api/me", nil)
		if got := len(u.must(http.StatusOK, "GET", "/api/me/sessions", nil).JSON(t)["sessions"].([]any)); got != 1 {
			t.Errorf("after revoke-others: %d sessions, want 1", got)
		}
	})
}

// TestDisabledUserRejectedOnNextRequest: disabling a user revokes their
// sessions (identity's OnDisable hook, wired to the session layer as in
// serve), so their very next request is refused on every route.
func TestDisabledUserRejectedOnNextRequest(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		u := e.signup("soon-disabled")
		u.must(http.StatusOK, "GET", "/api/me", nil)
		id := mustUUID(t, u.ID)
		second := e.client()
		second.must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": "correct horse battery staple"})
		if err := e.ident.DisableUser(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*client{u.client, second} {
			for _, rt := range []struct{ method, path string }{{"GET", "/api/me"}, {"GET", "/api/tenants"}, {"POST", "/api/tenants"}, {"GET", "/api/me/sessions"}} {
				if r := c.do(rt.method, rt.path, nil); r.Status != http.StatusUnauthorized {
					t.Errorf("disabled user %s %s: %d, want 401", rt.method, rt.path, r.Status)
				}
			}
		}
		if r := e.client().do("POST", "/api/auth/login", map[string]string{"email": u.Email, "password": "correct horse battery staple"}); r.Status != http.StatusUnauthorized {
			t.Errorf("disabled user login: %d, want 401", r.Status)
		}
	})
}

func TestHeaders(t *testing.T) {
	e := newEnv(t, "postgres")
	u := e.signup("headers")
	pub := e.client().do("GET", "/healthz", nil)
	authd := u.must(http.StatusOK, "GET", "/api/me", nil)
	for name, r := range map[string]response{"public": pub, "authenticated": authd} {
		for _, h := range []string{"X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy", "X-Request-Id"} {
			if r.Header.Get(h) == "" {
				t.Errorf("%s response lacks %s", name, h)
			}
		}
	}
	if got := authd.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("authenticated Cache-Control = %q, want no-store", got)
	}
	login := e.client().must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": "correct horse battery staple"})
	if got := login.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("login Cache-Control = %q, want no-store", got)
	}
}

func TestCrossOriginProtection(t *testing.T) {
	e := newEnv(t, "postgres")
	u := e.signup("csrf")
	r := u.do("POST", "/api/tenants", map[string]string{"name": "X", "slug": "csrf-" + uuid.NewString()[:8]},
		hdr{"Sec-Fetch-Site", "cross-site"}, hdr{"Origin", "https://evil.example"})
	if r.Status != http.StatusForbidden || r.Code(t) != "cross_origin_request" {
		t.Errorf("cross-site POST: %d %s, want 403 cross_origin_request", r.Status, r.Body)
	}
	// Login is protected too (login CSRF).
	r = e.client().do("POST", "/api/auth/login", map[string]string{"email": u.Email, "password": "correct horse battery staple"},
		hdr{"Sec-Fetch-Site", "cross-site"})
	if r.Status != http.StatusForbidden {
		t.Errorf("cross-site login: %d, want 403", r.Status)
	}
	// Same-origin requests pass.
	u.must(http.StatusOK, "GET", "/api/tenants", nil, hdr{"Sec-Fetch-Site", "same-origin"})
}

// TestDisabledInTheDatabase: a user disabled behind the API's back (no
// session revocation) still cannot use /me or any tenant.
func TestDisabledInTheDatabase(t *testing.T) {
	e := newEnv(t, "postgres")
	u := e.signup("behind-the-back")
	ten := u.createTenant("Back")
	if _, err := e.db.Owner.Exec(t.Context(), "UPDATE users SET disabled_at = now() WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	if r := u.do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("/api/me: %d, want 401", r.Status)
	}
	if r := u.do("GET", "/api/projects", nil, hdr{"X-Tenant", ten.ID}); r.Status != http.StatusNotFound {
		t.Errorf("/api/projects: %d, want 404", r.Status)
	}
}
