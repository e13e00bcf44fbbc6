package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/apptest"
)

// TestFixation: the token changes on login and on tenant switch, the old one
// stops working, and a token the client chose is never adopted.
func TestFixation(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T, e *apptest.Env) {
		u := e.Signup("fix")
		creds := map[string]string{"email": u.Email, "password": apptest.Password}

		t.Run("planted token is not adopted", func(t *testing.T) {
			planted := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			c := e.Client().WithCookie(planted)
			c.Must(http.StatusOK, "POST", "/api/auth/login", creds)
			if got := c.SessionCookie(); got == planted || got == "" {
				t.Fatalf("session token after login = %q, want a new one", got)
			}
			if r := e.Client().WithCookie(planted).Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
				t.Errorf("planted token authenticates: %d", r.Status)
			}
		})
		t.Run("login renews an existing session's token", func(t *testing.T) {
			c := e.Client()
			c.Must(http.StatusOK, "POST", "/api/auth/login", creds)
			before := c.SessionCookie()
			c.Must(http.StatusOK, "POST", "/api/auth/login", creds)
			after := c.SessionCookie()
			if before == after {
				t.Fatal("token unchanged by a second login")
			}
			if r := c.WithCookie(before).Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
				t.Errorf("pre-login token still works: %d", r.Status)
			}
		})
		t.Run("tenant switch renews the token", func(t *testing.T) {
			ten := u.CreateTenant("Fix")
			before := u.SessionCookie()
			r := u.Must(http.StatusOK, "PUT", "/api/me/tenant", map[string]string{"tenant": ten.Slug})
			if got := r.JSON(t)["tenant"].(map[string]any)["id"]; got != ten.ID {
				t.Errorf("switched to %v, want %v", got, ten.ID)
			}
			after := u.SessionCookie()
			if before == after {
				t.Fatal("token unchanged by a tenant switch")
			}
			if r := u.WithCookie(before).Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
				t.Errorf("pre-switch token still works: %d", r.Status)
			}
			me := u.Must(http.StatusOK, "GET", "/api/me", nil).JSON(t)
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
		e := apptest.New(t, apptest.Options{Secure: tt.secure})
		c := e.Client()
		email := "cookie-" + uuid.NewString()[:8] + "@example.com"
		r := c.Must(http.StatusCreated, "POST", "/api/auth/signup", map[string]string{"email": email, "password": apptest.Password, "name": "C"})
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
	apptest.EachStore(t, func(t *testing.T, e *apptest.Env) {
		u := e.Signup("multi")
		other := e.Signup("other")
		creds := map[string]string{"email": u.Email, "password": apptest.Password}
		second, third := e.Client(), e.Client()
		second.Must(http.StatusOK, "POST", "/api/auth/login", creds, apptest.Header{Key: "User-Agent", Value: "second-browser"})
		third.Must(http.StatusOK, "POST", "/api/auth/login", creds)

		list := u.Must(http.StatusOK, "GET", "/api/me/sessions", nil).JSON(t)["sessions"].([]any)
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
		if r := other.Do("DELETE", "/api/me/sessions/"+secondID, nil); r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
			t.Errorf("revoking another user's session: %d %s, want 404 not_found", r.Status, r.Body)
		}
		second.Must(http.StatusOK, "GET", "/api/me", nil)
		if r := u.Do("DELETE", "/api/me/sessions/not-a-uuid", nil); r.Status != http.StatusNotFound {
			t.Errorf("bad id: %d, want 404", r.Status)
		}

		u.Must(http.StatusNoContent, "DELETE", "/api/me/sessions/"+secondID, nil)
		if r := second.Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("revoked session still works: %d", r.Status)
		}
		if r := u.Do("DELETE", "/api/me/sessions/"+secondID, nil); r.Status != http.StatusNotFound {
			t.Errorf("revoking twice: %d, want 404", r.Status)
		}

		u.Must(http.StatusNoContent, "POST", "/api/me/sessions/revoke-others", nil)
		if r := third.Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("other session survived revoke-others: %d", r.Status)
		}
		u.Must(http.StatusOK, "GET", "/api/me", nil)
		other.Must(http.StatusOK, "GET", "/api/me", nil)
		if got := len(u.Must(http.StatusOK, "GET", "/api/me/sessions", nil).JSON(t)["sessions"].([]any)); got != 1 {
			t.Errorf("after revoke-others: %d sessions, want 1", got)
		}
	})
}

// TestDisabledUserRejectedOnNextRequest: disabling a user revokes their
// sessions (identity's OnDisable hook, wired to the session layer as in
// serve), so their very next request is refused on every route.
func TestDisabledUserRejectedOnNextRequest(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T, e *apptest.Env) {
		u := e.Signup("soon-disabled")
		u.Must(http.StatusOK, "GET", "/api/me", nil)
		id := mustUUID(t, u.ID)
		second := e.Client()
		second.Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password})
		if err := e.App.Identity.DisableUser(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*apptest.Client{u.Client, second} {
			for _, rt := range []struct{ method, path string }{{"GET", "/api/me"}, {"GET", "/api/tenants"}, {"POST", "/api/tenants"}, {"GET", "/api/me/sessions"}} {
				if r := c.Do(rt.method, rt.path, nil); r.Status != http.StatusUnauthorized {
					t.Errorf("disabled user %s %s: %d, want 401", rt.method, rt.path, r.Status)
				}
			}
		}
		if r := e.Client().Do("POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password}); r.Status != http.StatusUnauthorized {
			t.Errorf("disabled user login: %d, want 401", r.Status)
		}
	})
}

func TestHeaders(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	u := e.Signup("headers")
	pub := e.Client().Do("GET", "/healthz", nil)
	authd := u.Must(http.StatusOK, "GET", "/api/me", nil)
	for name, r := range map[string]apptest.Response{"public": pub, "authenticated": authd} {
		for _, h := range []string{"X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy", "X-Request-Id"} {
			if r.Header.Get(h) == "" {
				t.Errorf("%s response lacks %s", name, h)
			}
		}
	}
	login := e.Client().Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password})
	signup := e.Client().Must(http.StatusCreated, "POST", "/api/auth/signup", map[string]string{
		"email": "headers-" + uuid.NewString()[:8] + "@example.com", "password": apptest.Password, "name": "Headers",
	})
	denied := e.Client().Must(http.StatusUnauthorized, "GET", "/api/me", nil)
	// Exactly one Cache-Control, even where the session middleware sets a
	// cookie (it adds its own no-cache="Set-Cookie").
	for name, r := range map[string]apptest.Response{"authenticated": authd, "login": login, "signup": signup, "401": denied} {
		if got := r.Header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-store" {
			t.Errorf("%s Cache-Control = %q, want exactly [no-store]", name, got)
		}
	}
}

func TestCrossOriginProtection(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	u := e.Signup("csrf")
	r := u.Do("POST", "/api/tenants", map[string]string{"name": "X", "slug": "csrf-" + uuid.NewString()[:8]},
		apptest.Header{Key: "Sec-Fetch-Site", Value: "cross-site"}, apptest.Header{Key: "Origin", Value: "https://evil.example"})
	if r.Status != http.StatusForbidden || r.Code(t) != "cross_origin_request" {
		t.Errorf("cross-site POST: %d %s, want 403 cross_origin_request", r.Status, r.Body)
	}
	// Login is protected too (login CSRF).
	r = e.Client().Do("POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password},
		apptest.Header{Key: "Sec-Fetch-Site", Value: "cross-site"})
	if r.Status != http.StatusForbidden {
		t.Errorf("cross-site login: %d, want 403", r.Status)
	}
	// Same-origin requests pass.
	u.Must(http.StatusOK, "GET", "/api/tenants", nil, apptest.Header{Key: "Sec-Fetch-Site", Value: "same-origin"})
}

// TestDisabledInTheDatabase: a user disabled behind the API's back (no
// session revocation) still cannot use any tenant or /me. The first
// request that looks the user up (a tenant route's membership check, or
// /me) answers 401 and deletes their sessions: then every route is 401.
func TestDisabledInTheDatabase(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	u := e.Signup("behind-the-back")
	ten := u.CreateTenant("Back")
	if _, err := e.DB.Owner.Exec(t.Context(), "UPDATE users SET disabled_at = now() WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	if r := u.Do("GET", "/api/projects", nil, apptest.InTenant(ten)); r.Status != http.StatusUnauthorized {
		t.Errorf("/api/projects: %d, want 401", r.Status)
	}
	if r := u.Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("/api/me: %d, want 401", r.Status)
	}
	if r := u.Do("GET", "/api/projects", nil, apptest.InTenant(ten)); r.Status != http.StatusUnauthorized {
		t.Errorf("/api/projects after /api/me: %d, want 401", r.Status)
	}
}
