package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/apptest"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/session"
)

// TestHosts (issue 7, finding 7): the wired app answers only for the hosts
// it is set up for (serve's: BASE_URL's host and every subdomain of
// TENANT_BASE_DOMAIN), except the probes, which answer requests addressed
// by IP; and a subdomain tenant must agree with the X-Tenant header.
func TestHosts(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	alice := e.Signup("alice")
	acme, bobco := alice.CreateTenant("Acme"), alice.CreateTenant("Bobco")
	token := alice.SessionCookie()

	// As serve builds it for BASE_URL=https://app.example.com and
	// TENANT_BASE_DOMAIN=example.com.
	hosts, err := httpapi.BaseURLHosts(&url.URL{Scheme: "https", Host: "app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	tenants, err := httpapi.ParseHostPattern("*.example.com")
	if err != nil {
		t.Fatal(err)
	}
	hosts = append(hosts, tenants)
	e.Rebuild(func(c *app.Config) {
		c.AllowedHosts = hosts
		c.TenantBaseDomain = "example.com"
	})

	type request struct {
		host, path, xTenant string
		signedIn            bool
	}
	do := func(t *testing.T, r request) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.URL+r.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = r.host
		if r.xTenant != "" {
			req.Header.Set("X-Tenant", r.xTenant)
		}
		if r.signedIn {
			req.AddCookie(&http.Cookie{Name: session.DefaultCookieName, Value: token})
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Code string `json:"code"`
		}
		if res.Header.Get("Content-Type") == "application/problem+json" {
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatalf("problem body: %v: %s", err, body)
			}
		}
		return res.StatusCode, p.Code
	}

	local := e.URL[len("http://"):] // 127.0.0.1:port
	tests := []struct {
		name     string
		req      request
		want     int
		wantCode string
	}{
		{"base host", request{host: "app.example.com", path: "/api/openapi.yaml"}, http.StatusOK, ""},
		{"base host, signed in", request{host: "app.example.com:443", path: "/api/me", signedIn: true}, http.StatusOK, ""},
		{"tenant subdomain", request{host: acme.Slug + ".example.com", path: "/api/projects", signedIn: true}, http.StatusOK, ""},
		{"another host", request{host: "evil.test", path: "/api/me", signedIn: true}, http.StatusMisdirectedRequest, "host_not_allowed"},
		{"another host, public operation", request{host: "evil.test", path: "/api/openapi.yaml"}, http.StatusMisdirectedRequest, "host_not_allowed"},
		{"another host, web page", request{host: "evil.test", path: "/"}, http.StatusMisdirectedRequest, "host_not_allowed"},
		{"by IP", request{host: local, path: "/api/me", signedIn: true}, http.StatusMisdirectedRequest, "host_not_allowed"},
		{"two labels under the tenant domain", request{host: "x." + acme.Slug + ".example.com", path: "/api/me", signedIn: true}, http.StatusMisdirectedRequest, "host_not_allowed"},
		{"healthz by IP", request{host: local, path: "/healthz"}, http.StatusOK, ""},
		{"readyz by IP", request{host: local, path: "/readyz"}, http.StatusOK, ""},
		{"healthz under another host", request{host: "evil.test", path: "/healthz"}, http.StatusOK, ""},

		// Host: acme… with X-Tenant: bobco acted in bobco.
		{"subdomain and X-Tenant disagree", request{host: acme.Slug + ".example.com", path: "/api/projects", xTenant: bobco.Slug, signedIn: true}, http.StatusBadRequest, "tenant_conflict"},
		{"subdomain and X-Tenant agree", request{host: acme.Slug + ".example.com", path: "/api/projects", xTenant: acme.ID, signedIn: true}, http.StatusOK, ""},
		{"subdomain and path disagree", request{host: acme.Slug + ".example.com", path: "/api/t/" + bobco.Slug + "/projects", signedIn: true}, http.StatusBadRequest, "tenant_conflict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code := do(t, tt.req)
			if status != tt.want || code != tt.wantCode {
				t.Errorf("Host %q GET %s: got %d %q, want %d %q", tt.req.host, tt.req.path, status, code, tt.want, tt.wantCode)
			}
		})
	}
}
