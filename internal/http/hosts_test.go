package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseHostPattern(t *testing.T) {
	valid := []struct{ in, want string }{
		{"app.example.com", "app.example.com"},
		{" App.Example.COM. ", "app.example.com"},
		{"app.example.com:8443", "app.example.com:8443"},
		{"localhost", "localhost"},
		{"127.0.0.1", "127.0.0.1"},
		{"10.0.0.5:8080", "10.0.0.5:8080"},
		{"[::1]", "[::1]"},
		{"[0:0:0:0:0:0:0:1]:8080", "[::1]:8080"},
		{"[2001:DB8::1]", "[2001:db8::1]"},
		{"*.example.com", "*.example.com"},
		{"*.Example.com:8080", "*.example.com:8080"},
		{"internal_host", "internal_host"},
	}
	for _, tt := range valid {
		p, err := ParseHostPattern(tt.in)
		if err != nil {
			t.Errorf("ParseHostPattern(%q): %v", tt.in, err)
			continue
		}
		if got := p.String(); got != tt.want {
			t.Errorf("ParseHostPattern(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{
		"", " ", "*", "*.", "*.*.example.com", "example.*", "*.127.0.0.1", "*.[::1]",
		"::1", "2001:db8::1", // IPv6 needs brackets
		"[::1", "[example.com]", "[::1]8080", "[::1]:",
		"example.com:", "example.com:0", "example.com:65536", "example.com:http", "example.com:+80",
		"-example.com", "example-.com", "exa mple.com", "example..com", "http://example.com", "example.com/path",
		"user@example.com",
	} {
		if p, err := ParseHostPattern(in); err == nil {
			t.Errorf("ParseHostPattern(%q) = %q, want an error", in, p)
		}
	}
}

func TestHostAllowed(t *testing.T) {
	parse := func(list ...string) []HostPattern {
		var out []HostPattern
		for _, s := range list {
			p, err := ParseHostPattern(s)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
		return out
	}
	hosts := parse("app.example.com", "admin.example.com:8443", "*.tenants.example.com", "[2001:db8::1]", "10.0.0.5:8080")
	tests := []struct {
		host string
		want bool
	}{
		{"app.example.com", true},
		{"app.example.com:443", true}, // no port in the pattern: any port
		{"APP.Example.Com", true},
		{"app.example.com.", true},
		{"app.example.com.:8080", true},
		{"admin.example.com:8443", true},
		{"admin.example.com", false}, // the pattern names a port
		{"admin.example.com:443", false},
		{"acme.tenants.example.com", true},
		{"acme.tenants.example.com:8080", true},
		{"tenants.example.com", false}, // the domain itself is not under it
		{"x.acme.tenants.example.com", false},
		{".tenants.example.com", false},
		{"[2001:db8::1]", true},
		{"[2001:0db8:0::1]:8080", true},
		{"[2001:db8::2]", false},
		{"10.0.0.5:8080", true},
		{"10.0.0.5", false},
		{"example.com", false},
		{"evil.example.com", false},
		{"app.example.com.evil.com", false},
		{"evilapp.example.com", false},
		{"127.0.0.1:8080", false},
		{"localhost", false},
		{"", false},
		{"app.example.com:", false},
		{"app.example.com:99999", false},
		{"[2001:db8::1", false},
	}
	for _, tt := range tests {
		if got := hostAllowed(hosts, tt.host); got != tt.want {
			t.Errorf("hostAllowed(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestBaseURLHosts(t *testing.T) {
	loopback := []string{"localhost", "127.0.0.1", "[::1]"}
	tests := []struct {
		base string
		want []string
	}{
		{"https://app.example.com", []string{"app.example.com"}},
		{"https://App.Example.com:8443/base/", []string{"app.example.com"}},
		{"http://localhost:8080", loopback},
		{"http://LOCALHOST.:8080", loopback},
		{"http://127.0.0.1:8080", loopback},
		{"http://[::1]:8080", loopback},
		{"http://127.0.0.2", append([]string{"127.0.0.2"}, loopback...)},
		{"http://app.localhost", append([]string{"app.localhost"}, loopback...)},
		{"http://[2001:db8::1]", []string{"[2001:db8::1]"}},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.base)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := BaseURLHosts(u)
		if err != nil {
			t.Errorf("BaseURLHosts(%s): %v", tt.base, err)
			continue
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.String())
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("BaseURLHosts(%s) (-want +got):\n%s", tt.base, diff)
		}
	}
}

// TestAllowedHostsMiddleware: a request for a host the server does not
// serve gets 421 host_not_allowed, except the probes, which answer any host.
func TestAllowedHostsMiddleware(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	production, err := BaseURLHosts(&url.URL{Scheme: "https", Host: "app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	tenants, err := ParseHostPattern("*.example.com")
	if err != nil {
		t.Fatal(err)
	}
	production = append(production, tenants)

	tests := []struct {
		name  string
		hosts []HostPattern
		host  string
		path  string
		want  int
	}{
		{"base host", production, "app.example.com", "/api/me", http.StatusNoContent},
		{"tenant subdomain", production, "acme.example.com", "/api/projects", http.StatusNoContent},
		{"web page on the base host", production, "app.example.com", "/", http.StatusNoContent},
		{"other host", production, "evil.test", "/api/me", http.StatusMisdirectedRequest},
		{"other host, web page", production, "evil.test", "/login", http.StatusMisdirectedRequest},
		{"IP address", production, "203.0.113.7", "/api/me", http.StatusMisdirectedRequest},
		{"loopback in production", production, "127.0.0.1:8080", "/api/openapi.yaml", http.StatusMisdirectedRequest},
		{"no host", production, "", "/api/me", http.StatusMisdirectedRequest},
		{"healthz by IP", production, "127.0.0.1:8080", "/healthz", http.StatusNoContent},
		{"readyz by IP", production, "10.1.2.3:8080", "/readyz", http.StatusNoContent},
		{"healthz by any name", production, "evil.test", "/healthz", http.StatusNoContent},
		{"probe path prefix is not a probe", production, "evil.test", "/healthz/x", http.StatusMisdirectedRequest},
		{"default: loopback name", nil, "localhost:8080", "/api/me", http.StatusNoContent},
		{"default: 127.0.0.1", nil, "127.0.0.1:41234", "/api/me", http.StatusNoContent},
		{"default: [::1]", nil, "[::1]:8080", "/api/me", http.StatusNoContent},
		{"default: anything else", nil, "app.example.com", "/api/me", http.StatusMisdirectedRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, tt.path, nil)
			req.Host = tt.host
			rec := httptest.NewRecorder()
			s.allowedHosts(tt.hosts)(ok).ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want != http.StatusMisdirectedRequest {
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("body is not a problem: %v: %s", err, rec.Body)
			}
			if p.Code != "host_not_allowed" || p.Status != http.StatusMisdirectedRequest {
				t.Errorf("problem = %+v, want 421 host_not_allowed", p)
			}
		})
	}
}
