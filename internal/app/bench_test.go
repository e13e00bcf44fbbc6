package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/auth"
	"github.com/tenantkit/tenantkit/internal/session"
)

// benchUser signs up a user in e and returns their session cookie.
func benchUser(b *testing.B, e *apptest.Env) (apptest.User, *http.Cookie) {
	b.Helper()
	u := e.Signup("bench")
	return u, &http.Cookie{Name: session.DefaultCookieName, Value: u.SessionCookie()}
}

// BenchmarkRequestAuth measures the request-auth path alone: session cookie
// → session store lookup → principal on the context, in process. The
// middleware is built as the server builds it, on the app's session layer.
func BenchmarkRequestAuth(b *testing.B) {
	for _, store := range apptest.Stores() {
		b.Run(store, func(b *testing.B) {
			e := apptest.New(b, apptest.Options{Store: store})
			_, cookie := benchUser(b, e)
			var seen int
			authn := auth.NewMiddleware(e.App.Sessions, e.App.APIKeys, e.App.Server.WriteError)
			h := e.App.Sessions.LoadAndSave(authn.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, ok := auth.PrincipalFrom(r.Context()); ok {
					seen++
				}
			})))
			req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
			req.AddCookie(cookie)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
			if seen != b.N {
				b.Fatalf("authenticated %d of %d requests", seen, b.N)
			}
		})
	}
}

// BenchmarkListProjects measures an authenticated, tenant-scoped
// GET /api/projects (10 projects, one page) through the whole app, in
// process: middleware, session lookup, tenant transaction, membership
// check, query, JSON, commit.
func BenchmarkListProjects(b *testing.B) {
	for _, store := range apptest.Stores() {
		b.Run(store, func(b *testing.B) {
			e := apptest.New(b, apptest.Options{Store: store})
			u, cookie := benchUser(b, e)
			t := u.CreateTenant("Bench")
			for i := range 10 {
				createProject(b, u, t, fmt.Sprintf("project %d", i))
			}
			req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/api/projects", nil) // a loopback Host: the app answers only for its own hosts
			req.AddCookie(cookie)
			req.Header.Set("X-Tenant", t.ID)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				e.App.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
