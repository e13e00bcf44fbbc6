package tenancy_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

func TestResolve(t *testing.T) {
	w := newWorld(t)
	ident, err := identity.New(w.db.App, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var slugA string
	if err := w.db.Owner.QueryRow(t.Context(), "SELECT slug FROM tenants WHERE id = $1", w.tenantA).Scan(&slugA); err != nil {
		t.Fatal(err)
	}

	type request struct {
		header, path, host string
		session            uuid.UUID
	}
	tests := []struct {
		name    string
		sources string
		req     request
		want    uuid.UUID
		wantErr error
	}{
		{"header id", "header,path,subdomain,session", request{header: w.tenantA.String()}, w.tenantA, nil},
		{"header slug", "header,path,subdomain,session", request{header: slugA}, w.tenantA, nil},
		{"path slug", "header,path,subdomain,session", request{path: slugA}, w.tenantA, nil},
		{"subdomain", "header,path,subdomain,session", request{host: slugA + ".example.com:8080"}, w.tenantA, nil},
		{"subdomain two labels deep is not a tenant", "subdomain", request{host: "x." + slugA + ".example.com"}, uuid.Nil, tenancy.ErrTenantRequired},
		{"bare base domain is not a tenant", "subdomain", request{host: "example.com"}, uuid.Nil, tenancy.ErrTenantRequired},
		{"session", "header,path,subdomain,session", request{session: w.tenantB}, w.tenantB, nil},
		{"header beats session", "header,session", request{header: slugA, session: w.tenantB}, w.tenantA, nil},
		{"session first when configured first", "session,header", request{header: slugA, session: w.tenantB}, w.tenantB, nil},
		{"path and header agree (slug and id)", "header,path,session", request{header: w.tenantA.String(), path: slugA}, w.tenantA, nil},
		{"header names another tenant than the path", "header,path,session", request{header: w.tenantB.String(), path: slugA}, uuid.Nil, tenancy.ErrTenantConflict},
		{"session first names another tenant than the path", "session,path", request{session: w.tenantB, path: slugA}, uuid.Nil, tenancy.ErrTenantConflict},
		{"path beats session", "header,path,session", request{session: w.tenantB, path: slugA}, w.tenantA, nil},
		{"unknown tenant in path under a header answers like a foreign one", "header,path", request{header: slugA, path: "no-such-tenant"}, uuid.Nil, tenancy.ErrTenantConflict},
		{"unlisted source is ignored", "path", request{header: slugA}, uuid.Nil, tenancy.ErrTenantRequired},
		{"nothing names a tenant", "header,path,subdomain,session", request{}, uuid.Nil, tenancy.ErrTenantRequired},
		{"unknown slug", "header", request{header: "no-such-tenant"}, uuid.Nil, tenancy.ErrTenantNotFound},
		{"malformed ref", "header", request{header: "Robert'); DROP TABLE tenants;--"}, uuid.Nil, tenancy.ErrTenantNotFound},
		{"oversized ref", "header", request{header: string(make([]byte, 4096))}, uuid.Nil, tenancy.ErrTenantNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sources, err := tenancy.ParseSources(tt.sources)
			if err != nil {
				t.Fatal(err)
			}
			r := tenancy.NewResolver(sources, "example.com", ident)
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/api/projects", nil)
			if tt.req.header != "" {
				req.Header.Set(tenancy.HeaderName, tt.req.header)
			}
			if tt.req.host != "" {
				req.Host = tt.req.host
			}
			if tt.req.path != "" {
				req.SetPathValue(tenancy.PathParam, tt.req.path)
			}
			got, err := r.Resolve(req, tt.req.session)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("tenant = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseSources(t *testing.T) {
	for _, bad := range []string{"", "header,cookie", "header,header"} {
		if _, err := tenancy.ParseSources(bad); err == nil {
			t.Errorf("ParseSources(%q): want an error", bad)
		}
	}
}
