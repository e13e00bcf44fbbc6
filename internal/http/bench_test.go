package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tenantkit/tenantkit/internal/auth"
	"github.com/tenantkit/tenantkit/internal/session"
)

// benchUser signs up a user in e and returns their session cookie.
func benchUser(b *testing.B, e *env) (user, *http.Cookie) {
	b.Helper()
	u := e.signup("bench")
	return u, &http.Cookie{Name: session.DefaultCookieName, Value: u.sessionCookie()}
}

// BenchmarkRequestAuth measures the request-auth path alone: session cookie
// → session store lookup → principal on the context, in process.
func BenchmarkRequestAuth(b *testing.B) {
	for _, store := range stores {
		b.Run(store, func(b *testing.B) {
			e := newEnv(b, store)
			_, cookie := benchUser(b, e)
			var seen int
			h := e.sessions.LoadAndSave(e.api.auth.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, ok := auth.PrincipalFrom(r.Context()); ok {
					seen++
				}
			})))
			req := httptest.NewRequest("GET", "/api/me", nil)
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
// GET /api/projects (10 projects) through the whole server, in process:
// middleware, session lookup, tenant transaction, membership check, query,
// JSON, commit.
func BenchmarkListProjects(b *testing.B) {
	for _, store := range stores {
		b.Run(store, func(b *testing.B) {
			e := newEnv(b, store)
			u, cookie := benchUser(b, e)
			t := u.createTenant("Bench")
			for i := range 10 {
				u.createProject(t, fmt.Sprintf("project %d", i))
			}
			req := httptest.NewRequest("GET", "/api/projects", nil)
			req.AddCookie(cookie)
			req.Header.Set("X-Tenant", t.ID)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				e.api.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
