package app_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/apptest"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/observe"
)

// withMetrics has the app register its metrics in a registry of the
// test's, as serve does in its own.
func withMetrics(reg *prometheus.Registry) apptest.Options {
	return apptest.Options{Configure: func(c *app.Config) { c.Registry = reg }}
}

// scrape reads reg as the admin listener serves it: each sample line,
// `name{labels}`, with its value.
func scrape(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	w := httptest.NewRecorder()
	observe.AdminHandler(reg).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", w.Code)
	}
	samples := map[string]float64{}
	for line := range strings.Lines(w.Body.String()) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(strings.TrimSpace(line[i+1:]), 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

// TestAdminEndpointsNotPublic: metrics and pprof are served on ADMIN_ADDR
// only; the public handler knows no such routes, whatever the wiring
// (net/http/pprof registers itself on http.DefaultServeMux, which the
// server never serves).
func TestAdminEndpointsNotPublic(t *testing.T) {
	e := apptest.New(t, withMetrics(prometheus.NewRegistry()))
	c := e.Client()
	for _, path := range []string{
		"/metrics", "/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline",
		"/debug/pprof/profile?seconds=1", "/debug/pprof/goroutine?debug=2", "/api/metrics",
	} {
		if r := c.Do("GET", path, nil); r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
			t.Errorf("GET %s on the public handler: %d %s; want 404 not_found", path, r.Status, r.Body)
		}
	}
}

// TestRequestMetrics: requests are counted by route pattern (never the raw
// path: no id reaches a label) and status, session lookups by result, and
// the pools' statistics are there.
func TestRequestMetrics(t *testing.T) {
	for _, store := range apptest.Stores() {
		t.Run(store, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			opts := withMetrics(reg)
			opts.Store = store
			e := apptest.New(t, opts)
			u := e.Signup("metrics")
			tn := u.CreateTenant("Metrics")
			project := createProject(t, u, tn, "counted")
			u.Must(http.StatusOK, "GET", "/api/me", nil)
			u.Must(http.StatusOK, "GET", "/api/projects/"+project, nil, apptest.InTenant(tn))
			u.Must(http.StatusOK, "GET", "/api/t/"+tn.Slug+"/projects", nil)
			other := e.Signup("other").CreateTenant("Other") // a tenant u is not a member of
			u.Must(http.StatusNotFound, "GET", "/api/projects", nil, apptest.InTenant(other))
			anon := e.Client()
			anon.Must(http.StatusUnauthorized, "GET", "/api/me", nil)
			anon.WithCookie("not-a-session").Must(http.StatusUnauthorized, "GET", "/api/me", nil)
			anon.Must(http.StatusNotFound, "GET", "/api/no/such/route", nil)
			anon.Must(http.StatusNotFound, "GET", "/no/such/page", nil)
			anon.Must(http.StatusOK, "GET", "/healthz", nil)

			got := scrape(t, reg)
			count := func(method, route, status string) string {
				return `tenantkit_http_request_duration_seconds_count{method="` + method + `",route="` + route + `",status="` + status + `"}`
			}
			for _, want := range []string{
				count("GET", "/api/me", "200"),
				count("GET", "/api/me", "401"), // refused by middleware, before any handler
				count("POST", "/api/auth/signup", "201"),
				count("GET", "/api/projects/{id}", "200"),
				count("GET", "/api/t/{tenant}/projects", "200"),
				count("GET", "/api/*", "404"),
				count("GET", "unmatched", "404"),
				count("GET", "/healthz", "200"),
				`tenantkit_session_lookups_total{result="found"}`,
				`tenantkit_session_lookups_total{result="none"}`,
				`tenantkit_session_lookups_total{result="unknown"}`,
				`tenantkit_db_pool_max_conns{pool="app"}`,
				`tenantkit_db_pool_acquires_total{pool="tenant"}`,
				`tenantkit_tenant_tx_duration_seconds_count{outcome="commit"}`,
				`tenantkit_tenant_tx_duration_seconds_count{outcome="rollback"}`, // the membership check refused
			} {
				if got[want] < 1 {
					t.Errorf("%s = %v, want at least 1", want, got[want])
				}
			}
			if n := got[`tenantkit_tenant_tx_duration_seconds_count{outcome="error"}`]; n != 0 {
				t.Errorf("tenant transactions that failed in the database: %v, want 0", n)
			}
			if n := got[count("GET", "/api/me", "401")]; n != 2 {
				t.Errorf("401s on /api/me: %v, want 2", n)
			}
			for sample := range got {
				for _, id := range []string{tn.ID, tn.Slug, project, u.ID, "/no/such"} {
					if strings.Contains(sample, id) {
						t.Errorf("sample %s holds %q: a raw path or id in a label", sample, id)
					}
				}
			}
		})
	}
}

// TestRateLimitMetrics: a 429 is counted under the limit that refused it.
func TestRateLimitMetrics(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	u := e.Signup("limited")
	reg := prometheus.NewRegistry()
	e.Rebuild(func(c *app.Config) {
		c.Registry = reg
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		c.RateLimits = httpapi.RateLimits{AuthPerIP: 1000, LoginPerAccount: 1}
	})
	from := apptest.Header{Key: "X-Forwarded-For", Value: "203.0.113.9"}
	c := e.Client()
	c.Must(http.StatusUnauthorized, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": wrongPassword}, from)
	c.Must(http.StatusTooManyRequests, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": wrongPassword}, from)

	got := scrape(t, reg)
	for sample, want := range map[string]float64{
		`tenantkit_rate_limit_rejections_total{limit="login_per_account"}`:                                  1,
		`tenantkit_rate_limit_rejections_total{limit="auth_per_ip"}`:                                        0,
		`tenantkit_http_request_duration_seconds_count{method="POST",route="/api/auth/login",status="429"}`: 1,
	} {
		if got[sample] != want {
			t.Errorf("%s = %v, want %v", sample, got[sample], want)
		}
	}
}
