package app_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/session"
)

// BenchmarkRequest measures one authenticated request through the whole
// handler, in process, with the per-request work serve adds: the JSON access
// log (written to io.Discard: the encoding is counted, the write is not)
// and the metrics. Its allocs/op is the figure to watch when changing
// middleware.
//
//   - me: GET /api/me with a current tenant (session, user, the user's
//     tenants).
//   - projects: GET /api/projects in a tenant with 10 projects (session,
//     tenant transaction, membership, query, commit).
func BenchmarkRequest(b *testing.B) {
	for _, store := range apptest.Stores() {
		b.Run(store, func(b *testing.B) {
			e := apptest.New(b, apptest.Options{Store: store, Configure: func(c *app.Config) {
				c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil)) //nolint:sloglint // the encoding is the cost measured
				c.Registry = prometheus.NewRegistry()
			}})
			u := e.Signup("bench")
			t := u.CreateTenant("Bench")
			for i := range 10 {
				createProject(b, u, t, fmt.Sprintf("project %d", i))
			}
			u.Must(http.StatusOK, "PUT", "/api/me/tenant", map[string]string{"tenant": t.ID})
			cookie := &http.Cookie{Name: session.DefaultCookieName, Value: u.SessionCookie()}

			routes := []struct {
				name, path string
			}{
				{"me", "/api/me"},
				{"projects", "/api/projects"},
			}
			for _, rt := range routes {
				b.Run(rt.name, func(b *testing.B) {
					// A loopback Host: the app answers only for its own hosts.
					req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+rt.path, nil)
					req.AddCookie(cookie)
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
		})
	}
}
