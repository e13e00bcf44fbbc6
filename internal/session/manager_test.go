package session

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func TestCookieAttributes(t *testing.T) {
	tests := []struct {
		secure   bool
		wantName string
	}{
		{secure: true, wantName: "__Host-tenantkit_session"},
		{secure: false, wantName: "tenantkit_session"},
	}
	for _, tt := range tests {
		a := newApp(t, newPostgresStore(t), Config{Secure: tt.secure})
		token := a.login(t, uuid.New())
		check := func(what string, res result, wantMaxAge int) {
			c := res.cookie
			if c == nil {
				t.Fatalf("secure=%v %s: no session cookie", tt.secure, what)
			}
			got := cookieAttrs{c.Name, c.Secure, c.HttpOnly, c.Path, c.SameSite, c.Domain, c.MaxAge}
			want := cookieAttrs{tt.wantName, tt.secure, true, "/", http.SameSiteLaxMode, "", wantMaxAge}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("secure=%v %s: cookie %q (-got +want):\n%s", tt.secure, what, res.raw, diff)
			}
			if strings.Contains(strings.ToLower(res.raw), "domain=") {
				t.Errorf("secure=%v %s: cookie %q has a Domain", tt.secure, what, res.raw)
			}
		}
		// A browser-session cookie: no Max-Age or Expires, the server ends it.
		res := a.do(t, "POST", "/login/"+uuid.NewString(), token)
		check("login", res, 0)
		if !res.cookie.Expires.IsZero() {
			t.Errorf("secure=%v: login cookie %q has Expires", tt.secure, res.raw)
		}
		check("logout", a.do(t, "POST", "/logout", res.cookie.Value), -1)
	}
}

type cookieAttrs struct {
	Name     string
	Secure   bool
	HttpOnly bool
	Path     string
	SameSite http.SameSite
	Domain   string
	MaxAge   int
}

func TestLoginRenewsToken(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		a := newApp(t, st, Config{})
		userA, userB := uuid.New(), uuid.New()
		first := a.login(t, userA)
		if got := a.me(t, first).UserID; got != userA {
			t.Fatalf("session user = %s, want %s", got, userA)
		}

		// Logging in on top of a session (same or another user) issues a
		// new token and deletes the old session.
		for _, user := range []uuid.UUID{userA, userB} {
			res := a.do(t, "POST", "/login/"+user.String(), first)
			if res.cookie == nil || res.cookie.Value == "" {
				t.Fatalf("login over a session: no new cookie (status %d)", res.status)
			}
			second := res.cookie.Value
			if second == first {
				t.Fatal("login kept the previous token (session fixation)")
			}
			a.wantNoSession(t, first)
			a.wantNotStored(t, first)
			if got := a.me(t, second).UserID; got != user {
				t.Errorf("session user = %s, want %s", got, user)
			}
			first = second
		}
	})
}

func TestClientChosenTokenNotAdopted(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		a := newApp(t, st, Config{})
		for _, chosen := range []string{newToken(), "attacker-chosen", strings.Repeat("A", tokenLen)} {
			res := a.do(t, "GET", "/me", chosen)
			if res.status != http.StatusUnauthorized || res.cookie != nil {
				t.Errorf("GET /me with chosen token %q: status %d, cookie %q; want 401 and no cookie", chosen, res.status, res.raw)
			}
			res = a.do(t, "POST", "/login/"+uuid.NewString(), chosen)
			if res.cookie == nil {
				t.Fatalf("login: no cookie (status %d)", res.status)
			}
			if res.cookie.Value == chosen {
				t.Errorf("login adopted the client's token %q", chosen)
			}
			a.wantNotStored(t, chosen)
			a.wantNoSession(t, chosen)
			a.me(t, res.cookie.Value)
		}
	})
}

func TestSwitchTenant(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		a := newApp(t, st, Config{})
		user, tenant := uuid.New(), uuid.New()
		token := a.login(t, user)
		before := a.me(t, token)

		a.clock.Advance(5 * time.Minute)
		res := a.do(t, "POST", "/tenant/"+tenant.String(), token)
		if res.status != http.StatusOK || res.cookie == nil {
			t.Fatalf("switch tenant: status %d, body %q, cookie %q", res.status, res.body, res.raw)
		}
		if res.cookie.Value == token {
			t.Fatal("tenant switch kept the token")
		}
		a.wantNoSession(t, token)
		a.wantNotStored(t, token)

		got := a.me(t, res.cookie.Value)
		want := before
		want.TenantID = tenant
		want.LastSeenAt = before.LastSeenAt.Add(5 * time.Minute)
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("session after switch (-got +want):\n%s", diff)
		}

		if res := a.do(t, "POST", "/tenant/"+tenant.String(), ""); res.status != http.StatusUnauthorized {
			t.Errorf("switch tenant without a session: status %d, want 401", res.status)
		}
	})
}

func TestLogout(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		a := newApp(t, st, Config{})
		user := uuid.New()
		token := a.login(t, user)
		res := a.do(t, "POST", "/logout", token)
		if res.status != http.StatusOK || res.cookie == nil || res.cookie.Value != "" || res.cookie.MaxAge >= 0 {
			t.Fatalf("logout: status %d, cookie %q; want 200 and a cleared cookie", res.status, res.raw)
		}
		a.wantNotStored(t, token)
		a.wantNoSession(t, token)
		if list, err := a.m.List(t.Context(), user); err != nil || len(list) != 0 {
			t.Errorf("List after logout = %v, %v; want none", list, err)
		}
	})
}

func TestAnonymousRequestsCostNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		a := newApp(t, st, Config{})
		tests := []struct {
			name      string
			token     string
			wantReads int64
		}{
			{"no cookie", "", 0},
			{"unknown token", newToken(), 1},
			{"malformed token", "not-a-token", 1}, // the store answers without a round trip
		}
		for _, tt := range tests {
			a.store.reset()
			res := a.do(t, "GET", "/me", tt.token)
			if res.status != http.StatusUnauthorized || res.cookie != nil {
				t.Errorf("%s: status %d, cookie %q; want 401, no cookie", tt.name, res.status, res.raw)
			}
			if r, w := a.store.reads.Load(), a.store.writes.Load(); r != tt.wantReads || w != 0 {
				t.Errorf("%s: %d reads, %d writes; want %d, 0", tt.name, r, w, tt.wantReads)
			}
		}
	})
}

func TestStoreUnavailableFailsClosed(t *testing.T) {
	for name, st := range unreachableStores(t) {
		t.Run(name, func(t *testing.T) {
			a := newApp(t, st, Config{})
			ctx := t.Context()

			// A request with a session cookie is answered by ErrorFunc
			// with ErrUnavailable; the handler never runs.
			res := a.do(t, "GET", "/me", newToken())
			if res.status != http.StatusServiceUnavailable || res.body != "unavailable\n" {
				t.Errorf("GET /me: status %d, body %q; want 503 from ErrorFunc", res.status, res.body)
			}

			// Login cannot commit: it returns the store's error, which the
			// handler answers (once: ErrorFunc does not answer it again),
			// and no cookie names the token whose record was not stored.
			res = a.do(t, "POST", "/login/"+uuid.NewString(), "")
			if res.status != http.StatusServiceUnavailable || res.body != "unavailable\n" || res.cookie != nil {
				t.Errorf("login: status %d, body %q, cookie %q; want a bare 503", res.status, res.body, res.raw)
			}

			errs := a.errors()
			if len(errs) != 1 {
				t.Errorf("ErrorFunc called %d times, want once (for GET /me)", len(errs))
			}
			for _, err := range errs {
				if !errors.Is(err, ErrUnavailable) {
					t.Errorf("ErrorFunc got %v, want ErrUnavailable", err)
				}
			}

			calls := map[string]error{
				"List":         func() error { _, err := a.m.List(ctx, uuid.New()); return err }(),
				"Revoke":       a.m.Revoke(ctx, uuid.New(), uuid.New()),
				"RevokeOthers": a.m.RevokeOthers(ctx, uuid.New(), uuid.New()),
				"RevokeAll":    a.m.RevokeAll(ctx, uuid.New()),
				"Ping":         a.m.Ping(ctx),
			}
			for call, err := range calls {
				if !errors.Is(err, ErrUnavailable) {
					t.Errorf("%s: err = %v, want ErrUnavailable", call, err)
				}
			}
		})
	}
}

func TestWithoutMiddleware(t *testing.T) {
	m := NewManager(newPostgresStore(t), Config{})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: m.CookieName(), Value: newToken()})
	errs := map[string]error{
		"Current":      func() error { _, err := m.Current(r); return err }(),
		"Login":        m.Login(r, uuid.New()),
		"SwitchTenant": m.SwitchTenant(r.Context(), uuid.New()),
		"Logout":       m.Logout(r.Context()),
	}
	for name, err := range errs {
		if !errors.Is(err, errNoMiddleware) {
			t.Errorf("%s without LoadAndSave: %v, want errNoMiddleware", name, err)
		}
	}
}

func TestConfig(t *testing.T) {
	got := Config{}.withDefaults()
	if got.IdleTimeout != DefaultIdleTimeout || got.Lifetime != DefaultLifetime || got.TouchInterval != DefaultTouchInterval ||
		got.CookieName != DefaultCookieName || got.ErrorFunc == nil || got.Logger == nil {
		t.Errorf("defaults: %+v", got)
	}
	if got := (Config{IdleTimeout: time.Minute}).withDefaults().TouchInterval; got != 30*time.Second {
		t.Errorf("TouchInterval for a 1m idle timeout = %v, want 30s", got)
	}
	for name, cfg := range map[string]Config{
		"touch not shorter than idle": {IdleTimeout: time.Minute, TouchInterval: time.Minute},
		"negative":                    {Lifetime: -time.Hour},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			cfg.withDefaults()
		}()
	}
}
