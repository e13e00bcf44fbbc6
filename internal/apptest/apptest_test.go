package apptest_test

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/dbtest"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestEnv(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T, e *apptest.Env) {
		if !strings.HasPrefix(e.URL, "http://") || e.App == nil || e.DB == nil || e.T != t {
			t.Fatalf("Env = %+v", e)
		}
		u := e.Signup("Kit User")
		if u.ID == "" || !regexp.MustCompile(`^kit-user-[0-9a-f]{8}@example\.com$`).MatchString(u.Email) || u.SessionCookie() == "" {
			t.Errorf("Signup = %+v, cookie %q", u, u.SessionCookie())
		}
		ten := u.CreateTenant("Kit & Co, Ltd.")
		if !regexp.MustCompile(`^kit-co-ltd-[0-9a-f]{8}$`).MatchString(ten.Slug) || ten.ID == "" {
			t.Errorf("CreateTenant = %+v", ten)
		}
		if again := u.CreateTenant("Kit & Co, Ltd."); again.Slug == ten.Slug {
			t.Errorf("two tenants of one name share slug %s", ten.Slug)
		}

		// A copied cookie is the same session; a new client has none.
		me := u.WithCookie(u.SessionCookie()).Must(http.StatusOK, "GET", "/api/me", nil).JSON(t)
		if me["user"].(map[string]any)["id"] != u.ID {
			t.Errorf("/api/me with the copied cookie = %v", me)
		}
		if r := e.Client().Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized || r.Code(t) != "unauthenticated" {
			t.Errorf("new client: %d %s", r.Status, r.Body)
		}

		// Bodies: a value as JSON, a string or []byte as is; headers in order.
		path := "/api/members"
		for _, body := range []any{nil, "", []byte(nil)} {
			r := u.Do("GET", path, body, apptest.Header{Key: "X-Tenant", Value: "nope"}, apptest.InTenant(ten))
			var got struct {
				Members []struct {
					UserID string `json:"user_id"`
				} `json:"members"`
			}
			r.Decode(t, &got)
			if r.Status != http.StatusOK || len(got.Members) != 1 || got.Members[0].UserID != u.ID {
				t.Errorf("body %#v: %d %s", body, r.Status, r.Body)
			}
		}
		for _, body := range []any{map[string]string{"tenant": ten.Slug}, `{"tenant":"` + ten.Slug + `"}`, []byte(`{"tenant":"` + ten.ID + `"}`)} {
			u.Must(http.StatusOK, "PUT", "/api/me/tenant", body)
		}
		r := u.Do("PUT", "/api/me/tenant", `{"tenant":`)
		if r.Status != http.StatusBadRequest || r.Code(t) != "invalid_json" {
			t.Errorf("malformed body: %d %s", r.Status, r.Body)
		}
	})
}

// TestRebuild: the server serves the rebuilt app at once, on the same
// database and session store, with Options.Configure still applied.
func TestRebuild(t *testing.T) {
	e := apptest.New(t, apptest.Options{Configure: func(c *app.Config) { c.MinPasswordLength = len(apptest.Password) }})
	weak := func() {
		t.Helper()
		r := e.Client().Do("POST", "/api/auth/signup", map[string]string{
			"email": "weak@example.com", "password": apptest.Password[1:], "name": "Weak",
		})
		if r.Status != http.StatusUnprocessableEntity || r.Code(t) != "weak_password" {
			t.Errorf("signup with a password one shorter than the configured minimum: %d %s, want 422 weak_password", r.Status, r.Body)
		}
	}
	weak()
	u := e.Signup("before")
	old := e.App

	e.Rebuild(func(c *app.Config) { c.RateLimits = httpapi.RateLimits{AuthPerIP: 1000, LoginPerAccount: 1} })
	if e.App == old {
		t.Fatal("Rebuild kept the app")
	}
	u.Must(http.StatusOK, "GET", "/api/me", nil) // the session carried over
	c := e.Client()
	c.Do("POST", "/api/auth/login", map[string]string{"email": u.Email, "password": "wrong"})
	if r := c.Do("POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password}); r.Status != http.StatusTooManyRequests {
		t.Errorf("second login under a budget of 1: %d, want 429", r.Status)
	}
	weak()

	e.Rebuild(nil) // the test defaults again: a new budget
	c.Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password})
}
