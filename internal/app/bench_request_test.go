package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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
//   - me-token: GET /api/me with a bearer access token instead of a cookie.
//   - refresh: POST /api/auth/token with the refresh_token grant, each
//     iteration presenting the token the previous one returned (a rotation).
func BenchmarkRequest(b *testing.B) {
	for _, store := range apptest.Stores() {
		b.Run(store, func(b *testing.B) {
			e := apptest.New(b, apptest.Options{Store: store, Configure: func(c *app.Config) {
				c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil)) //nolint:sloglint // the encoding is the cost measured
				c.Registry = prometheus.NewRegistry()
				// Every -count run's refreshes come from one address.
				c.RateLimits.AuthPerIP = 100_000_000
			}})
			u := e.Signup("bench")
			t := u.CreateTenant("Bench")
			for i := range 10 {
				createProject(b, u, t, fmt.Sprintf("project %d", i))
			}
			u.Must(http.StatusOK, "PUT", "/api/me/tenant", map[string]string{"tenant": t.ID})
			cookie := &http.Cookie{Name: session.DefaultCookieName, Value: u.SessionCookie()}
			tokens := signInTokens(b, e, u, t.ID)

			routes := []struct {
				name, path string
				token      bool
			}{
				{"me", "/api/me", false},
				{"projects", "/api/projects", false},
				{"me-token", "/api/me", true},
			}
			for _, rt := range routes {
				b.Run(rt.name, func(b *testing.B) {
					// A loopback Host: the app answers only for its own hosts.
					req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+rt.path, nil)
					if rt.token {
						req.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
					} else {
						req.AddCookie(cookie)
					}
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
			// Outside the closure: with -count, the testing package runs it
			// again, and the chain must go on from the newest token (the
			// first, spent, would end the sign-in as reused).
			current := tokens.RefreshToken
			b.Run("refresh", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					body := `{"grant_type":"refresh_token","refresh_token":"` + current + `"}`
					req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/api/auth/token", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					rec := httptest.NewRecorder()
					e.App.ServeHTTP(rec, req)
					var next tokenPair
					if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &next) != nil {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
					current = next.RefreshToken
				}
			})
		})
	}
}

// BenchmarkThroughput (issue 11) runs requests from as many goroutines as
// GOMAXPROCS through the in-process handler and reports req/s: GET /api/me
// with a cookie, and a refresh (each goroutine rotating its own sign-in),
// with both stores. The figure for the closing note: refresh beside me.
func BenchmarkThroughput(b *testing.B) {
	for _, store := range apptest.Stores() {
		b.Run(store, func(b *testing.B) {
			e := apptest.New(b, apptest.Options{Store: store, Configure: func(c *app.Config) {
				c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil)) //nolint:sloglint // the encoding is part of the cost
				c.RateLimits.AuthPerIP = 1 << 30                          // every request comes from one address here
			}})
			u := e.Signup("bench")
			cookie := &http.Cookie{Name: session.DefaultCookieName, Value: u.SessionCookie()}
			b.Run("me", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/api/me", nil)
						req.AddCookie(cookie)
						rec := httptest.NewRecorder()
						e.App.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Errorf("status %d", rec.Code)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			})
			b.Run("refresh", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					current := signInTokens(b, e, u, "").RefreshToken
					for pb.Next() {
						body := `{"grant_type":"refresh_token","refresh_token":"` + current + `"}`
						req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/api/auth/token", strings.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						rec := httptest.NewRecorder()
						e.App.ServeHTTP(rec, req)
						var next tokenPair
						if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &next) != nil {
							b.Errorf("status %d: %s", rec.Code, rec.Body)
							return
						}
						current = next.RefreshToken
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			})
		})
	}
}
