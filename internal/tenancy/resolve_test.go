package tenancy_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
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
	slugOf := func(tenant uuid.UUID) string {
		var slug string
		if err := w.db.Owner.QueryRow(t.Context(), "SELECT slug FROM tenants WHERE id = $1", tenant).Scan(&slug); err != nil {
			t.Fatal(err)
		}
		return slug
	}
	slugA, slugB := slugOf(w.tenantA), slugOf(w.tenantB)
	// A disabled member of A: no longer effectively a member.
	var disabled uuid.UUID
	err = w.db.Owner.QueryRow(t.Context(), `
WITH u AS (INSERT INTO users (email, name, disabled_at) VALUES ($1, 'Disabled', now()) RETURNING id),
     m AS (INSERT INTO memberships (tenant_id, user_id, role) SELECT $2, u.id, 'member' FROM u)
SELECT id FROM u`, "disabled-"+slugA+"@example.com", w.tenantA).Scan(&disabled)
	if err != nil {
		t.Fatal(err)
	}

	const all = "header,path,subdomain,session"
	type request struct {
		header, path, host string
		session            uuid.UUID
		user               uuid.UUID // default: userA, a member of A only
	}
	tests := []struct {
		name    string
		sources string
		req     request
		want    uuid.UUID
		wantErr error
	}{
		{"header id", all, request{header: w.tenantA.String()}, w.tenantA, nil},
		{"header slug", all, request{header: slugA}, w.tenantA, nil},
		{"path slug", all, request{path: slugA}, w.tenantA, nil},
		{"path id", all, request{path: w.tenantA.String()}, w.tenantA, nil},
		{"subdomain", all, request{host: slugA + ".example.com:8080"}, w.tenantA, nil},
		{"subdomain in capitals with a trailing dot", all, request{host: strings.ToUpper(slugA) + ".EXAMPLE.COM."}, w.tenantA, nil},
		{"subdomain two labels deep is not a tenant", "subdomain", request{host: "x." + slugA + ".example.com"}, uuid.Nil, tenancy.ErrTenantRequired},
		{"bare base domain is not a tenant", "subdomain", request{host: "example.com"}, uuid.Nil, tenancy.ErrTenantRequired},
		{"session", all, request{session: w.tenantB}, w.tenantB, nil},
		{"header beats session", "header,session", request{header: slugA, session: w.tenantB}, w.tenantA, nil},
		{"subdomain beats session", all, request{host: slugA + ".example.com", session: w.tenantB}, w.tenantA, nil},
		{"session first when configured first", "session,header", request{header: slugA, session: w.tenantB}, w.tenantB, nil},
		{"path and header agree (slug and id)", "header,path,session", request{header: w.tenantA.String(), path: slugA}, w.tenantA, nil},
		{"header names another tenant than the path", "header,path,session", request{header: w.tenantB.String(), path: slugA}, uuid.Nil, tenancy.ErrTenantConflict},
		{"session first names another tenant than the path", "session,path", request{session: w.tenantB, path: slugA}, uuid.Nil, tenancy.ErrTenantConflict},
		{"session first agrees with the path", "session,path", request{session: w.tenantA, path: slugA}, w.tenantA, nil},
		{"path beats session", "header,path,session", request{session: w.tenantB, path: slugA}, w.tenantA, nil},
		{"unknown tenant in path under a header answers like a foreign one", "header,path", request{header: slugA, path: "no-such-tenant"}, uuid.Nil, tenancy.ErrTenantConflict},
		{"foreign tenant in path under a header", "header,path", request{header: slugA, path: slugB}, uuid.Nil, tenancy.ErrTenantConflict},

		// Finding 7: a subdomain must agree with a header or a path.
		{"subdomain and header name different tenants", all, request{host: slugA + ".example.com", header: slugB}, uuid.Nil, tenancy.ErrTenantConflict},
		{"subdomain and header name different tenants, both the caller's", all, request{host: slugA + ".example.com", header: w.tenantB.String(), user: w.userB}, uuid.Nil, tenancy.ErrTenantConflict},
		{"subdomain and header agree (slug and id)", all, request{host: slugA + ".example.com", header: w.tenantA.String()}, w.tenantA, nil},
		{"subdomain and path name different tenants", all, request{host: slugA + ".example.com", path: slugB}, uuid.Nil, tenancy.ErrTenantConflict},
		{"subdomain and path agree", all, request{host: slugA + ".example.com", path: slugA}, w.tenantA, nil},
		{"header, path and subdomain: one disagrees", all, request{header: slugA, path: slugA, host: "no-such-tenant.example.com"}, uuid.Nil, tenancy.ErrTenantConflict},
		{"subdomain names another tenant than a session configured first", "session,subdomain", request{session: w.tenantB, host: slugA + ".example.com"}, uuid.Nil, tenancy.ErrTenantConflict},
		{"subdomain agrees with a session configured first", "session,subdomain", request{session: w.tenantA, host: slugA + ".example.com"}, w.tenantA, nil},
		{"subdomain off: the host names nothing", "header,path,session", request{host: slugB + ".example.com", header: slugA}, w.tenantA, nil},

		// Finding 5: only the caller's tenants resolve; any other tenant
		// answers exactly like one that does not exist.
		{"foreign slug", all, request{header: slugB}, uuid.Nil, tenancy.ErrTenantNotFound},
		// An id is Run's to check (TestRunScopesToTenant), with the same
		// work for a foreign tenant and a missing one.
		{"foreign id", all, request{header: w.tenantB.String()}, w.tenantB, nil},
		{"foreign slug in the path", all, request{path: slugB}, uuid.Nil, tenancy.ErrTenantNotFound},
		{"foreign subdomain", all, request{host: slugB + ".example.com"}, uuid.Nil, tenancy.ErrTenantNotFound},
		{"foreign header and unknown path cannot be told apart", "header,path", request{header: slugB, path: "no-such-tenant"}, uuid.Nil, tenancy.ErrTenantNotFound},
		{"foreign header and foreign path", "header,path", request{header: slugB, path: w.tenantB.String()}, uuid.Nil, tenancy.ErrTenantConflict},
		{"foreign header and unknown path id", "header,path", request{header: slugB, path: uuid.NewString()}, uuid.Nil, tenancy.ErrTenantConflict},
		{"disabled member", all, request{header: slugA, user: disabled}, uuid.Nil, tenancy.ErrTenantNotFound},
		{"unknown user", all, request{header: slugA, user: uuid.New()}, uuid.Nil, tenancy.ErrTenantNotFound},

		{"unlisted source is ignored", "path", request{header: slugA}, uuid.Nil, tenancy.ErrTenantRequired},
		{"nothing names a tenant", all, request{}, uuid.Nil, tenancy.ErrTenantRequired},
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
			baseDomain := "example.com"
			if !strings.Contains(tt.sources, "subdomain") {
				baseDomain = ""
			}
			r := tenancy.NewResolver(sources, baseDomain, ident)
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
			user := tt.req.user
			if user == uuid.Nil {
				user = w.userA
			}
			got, err := r.Resolve(req, user, tt.req.session)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("tenant = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestResolveQueries: whatever the request names, resolving it costs one
// MemberTenant call per distinct slug, the same for the caller's own
// tenant, another's and none; ids and the session's tenant cost none (Run
// checks them, in the transaction's first round trip).
func TestResolveQueries(t *testing.T) {
	own, foreign := uuid.New(), uuid.New()
	tenants := &countingTenants{member: map[string]uuid.UUID{"own": own, own.String(): own}}
	r := tenancy.NewResolver(tenancy.DefaultSources(), "example.com", tenants)
	tests := []struct {
		name        string
		header      string
		path        string
		session     uuid.UUID
		wantQueries int
	}{
		{"own slug", "own", "", uuid.Nil, 1},
		{"foreign slug", "bobco", "", uuid.Nil, 1},
		{"missing slug", "no-such-tenant", "", uuid.Nil, 1},
		{"own id", own.String(), "", uuid.Nil, 0},
		{"foreign id", foreign.String(), "", uuid.Nil, 0},
		{"missing id", uuid.NewString(), "", uuid.Nil, 0},
		{"header and path the same ref", "own", "own", uuid.Nil, 1},
		{"header and path, foreign and missing", "bobco", "no-such-tenant", uuid.Nil, 2},
		{"session only", "", "", own, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenants.calls = 0
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/api/projects", nil)
			if tt.header != "" {
				req.Header.Set(tenancy.HeaderName, tt.header)
			}
			if tt.path != "" {
				req.SetPathValue(tenancy.PathParam, tt.path)
			}
			_, _ = r.Resolve(req, uuid.New(), tt.session)
			if tenants.calls != tt.wantQueries {
				t.Errorf("%d MemberTenant calls, want %d", tenants.calls, tt.wantQueries)
			}
		})
	}
}

// countingTenants is a tenancy.Tenants that counts its calls.
type countingTenants struct {
	member map[string]uuid.UUID // ref → tenant the caller is a member of
	calls  int
}

func (c *countingTenants) MemberTenant(_ context.Context, _ uuid.UUID, ref string) (uuid.UUID, error) {
	c.calls++
	if id, ok := c.member[ref]; ok {
		return id, nil
	}
	return uuid.Nil, identity.ErrTenantNotFound
}

func TestParseSources(t *testing.T) {
	for _, bad := range []string{"", "header,cookie", "header,header"} {
		if _, err := tenancy.ParseSources(bad); err == nil {
			t.Errorf("ParseSources(%q): want an error", bad)
		}
	}
}

func (c *countingTenants) Tenant(_ context.Context, ref string) (identity.Tenant, error) {
	c.calls++
	if id, ok := c.member[ref]; ok {
		return identity.Tenant{ID: id, Slug: ref}, nil
	}
	return identity.Tenant{}, identity.ErrTenantNotFound
}

// TestResolveFixed (issue 11): an API key's request may name only the
// key's own tenant, by id or slug, or none; anything else is a conflict.
func TestResolveFixed(t *testing.T) {
	own, foreign := uuid.New(), uuid.New()
	tenants := &countingTenants{member: map[string]uuid.UUID{"own": own, "bobco": foreign}}
	r := tenancy.NewResolver(tenancy.DefaultSources(), "example.com", tenants)
	tests := []struct {
		name   string
		header string
		host   string
		want   uuid.UUID
		err    error
	}{
		{"nothing named", "", "", own, nil},
		{"its id", own.String(), "", own, nil},
		{"its slug", "own", "", own, nil},
		{"its subdomain", "", "own.example.com", own, nil},
		{"another id", foreign.String(), "", uuid.Nil, tenancy.ErrTenantConflict},
		{"another slug", "bobco", "", uuid.Nil, tenancy.ErrTenantConflict},
		{"no such slug", "nobody", "", uuid.Nil, tenancy.ErrTenantConflict},
		{"its id, another subdomain", own.String(), "bobco.example.com", uuid.Nil, tenancy.ErrTenantConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "http://example.com/api/projects", nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.header != "" {
				req.Header.Set(tenancy.HeaderName, tt.header)
			}
			got, err := r.ResolveFixed(req, own)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("ResolveFixed = %v, %v; want %v, %v", got, err, tt.want, tt.err)
			}
		})
	}
}
