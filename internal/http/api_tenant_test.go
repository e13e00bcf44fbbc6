package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/tenancy"
)

func TestTenants(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		alice, bob := e.signup("alice"), e.signup("bob")
		a := alice.createTenant("Acme")
		b := bob.createTenant("Beta")

		t.Run("slug taken", func(t *testing.T) {
			r := bob.do("POST", "/api/tenants", map[string]string{"name": "Again", "slug": a.Slug})
			if r.Status != http.StatusConflict || r.Code(t) != "slug_taken" {
				t.Errorf("got %d %s, want 409 slug_taken", r.Status, r.Body)
			}
		})
		t.Run("bad slug", func(t *testing.T) {
			for _, slug := range []string{"", "UPPER", "-dash", "a_b", strings.Repeat("a", 64), uuid.NewString()} {
				r := bob.do("POST", "/api/tenants", map[string]string{"name": "X", "slug": slug})
				if r.Status != http.StatusBadRequest || r.Code(t) != "invalid_request" {
					t.Errorf("slug %q: got %d %s, want 400 invalid_request", slug, r.Status, r.Body)
				}
			}
		})
		t.Run("list shows only own tenants with role", func(t *testing.T) {
			list := alice.must(http.StatusOK, "GET", "/api/tenants", nil).JSON(t)["tenants"].([]any)
			if len(list) != 1 {
				t.Fatalf("alice sees %d tenants, want 1: %v", len(list), list)
			}
			got := list[0].(map[string]any)
			if got["id"] != a.ID || got["slug"] != a.Slug || got["role"] != "owner" {
				t.Errorf("tenant = %v", got)
			}
		})
		t.Run("switch to a foreign tenant is not found", func(t *testing.T) {
			for _, ref := range []string{b.ID, b.Slug, uuid.NewString(), "no-such-tenant"} {
				r := alice.do("PUT", "/api/me/tenant", map[string]string{"tenant": ref})
				if r.Status != http.StatusNotFound || r.Code(t) != "tenant_not_found" {
					t.Errorf("switch to %q: got %d %s, want 404 tenant_not_found", ref, r.Status, r.Body)
				}
			}
		})
		t.Run("members", func(t *testing.T) {
			list := alice.must(http.StatusOK, "GET", "/api/members", nil, hdr{"X-Tenant", a.Slug}).JSON(t)["members"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["user_id"] != alice.ID || list[0].(map[string]any)["role"] != "owner" {
				t.Errorf("members = %v", list)
			}
			// As another tenant: bob names A every way he can.
			for _, req := range []struct {
				path string
				h    []hdr
			}{
				{"/api/members", []hdr{{"X-Tenant", a.ID}}},
				{"/api/members", []hdr{{"X-Tenant", a.Slug}}},
				{"/api/t/" + a.Slug + "/members", nil},
				{"/api/t/" + a.ID + "/members", nil},
			} {
				r := bob.do("GET", req.path, nil, req.h...)
				if r.Status != http.StatusNotFound || r.Code(t) != "tenant_not_found" {
					t.Errorf("bob GET %s %v: %d %s, want 404 tenant_not_found", req.path, req.h, r.Status, r.Body)
				}
			}
		})
		t.Run("no tenant", func(t *testing.T) {
			c := e.signup("tenantless")
			r := c.do("GET", "/api/members", nil)
			if r.Status != http.StatusBadRequest || r.Code(t) != "tenant_required" {
				t.Errorf("got %d %s, want 400 tenant_required", r.Status, r.Body)
			}
		})
		t.Run("removed member is refused on the next request", func(t *testing.T) {
			carol := e.signup("carol")
			if err := e.ident.AddMember(t.Context(), mustUUID(t, a.ID), mustUUID(t, carol.ID), "member"); err != nil {
				t.Fatal(err)
			}
			carol.must(http.StatusOK, "GET", "/api/projects", nil, hdr{"X-Tenant", a.Slug})
			if err := e.ident.RemoveMember(t.Context(), mustUUID(t, a.ID), mustUUID(t, carol.ID)); err != nil {
				t.Fatal(err)
			}
			if r := carol.do("GET", "/api/projects", nil, hdr{"X-Tenant", a.Slug}); r.Status != http.StatusNotFound {
				t.Errorf("removed member: %d, want 404", r.Status)
			}
		})
	})
}

func TestProjects(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		alice, bob := e.signup("alice"), e.signup("bob")
		a, b := alice.createTenant("Acme"), bob.createTenant("Beta")
		inA := hdr{"X-Tenant", a.ID}

		p1 := alice.createProject(a, "Apollo")
		p2 := alice.createProject(a, "Gemini")
		bobs := bob.createProject(b, "Apollo") // same name, other tenant: fine

		t.Run("list", func(t *testing.T) {
			list := alice.must(http.StatusOK, "GET", "/api/projects", nil, inA).JSON(t)["projects"].([]any)
			if len(list) != 2 || list[0].(map[string]any)["id"] != p1 || list[1].(map[string]any)["id"] != p2 {
				t.Errorf("projects = %v, want [%s %s]", list, p1, p2)
			}
			first := list[0].(map[string]any)
			if first["created_by"] != alice.ID || first["name"] != "Apollo" || first["created_at"] == nil {
				t.Errorf("project = %v", first)
			}
			if n := len(alice.must(http.StatusOK, "GET", "/api/projects?limit=1", nil, inA).JSON(t)["projects"].([]any)); n != 1 {
				t.Errorf("limit=1 gave %d", n)
			}
			for _, bad := range []string{"0", "-1", "501", "x"} {
				if r := alice.do("GET", "/api/projects?limit="+bad, nil, inA); r.Status != http.StatusBadRequest || r.Code(t) != "invalid_limit" {
					t.Errorf("limit=%s: %d %s", bad, r.Status, r.Body)
				}
			}
		})
		t.Run("path and header disagree", func(t *testing.T) {
			c := alice.createTenant("Second")
			r := alice.do("POST", "/api/t/"+a.Slug+"/projects", map[string]string{"name": "Where?"}, hdr{"X-Tenant", c.ID})
			if r.Status != http.StatusBadRequest || r.Code(t) != "tenant_conflict" {
				t.Errorf("got %d %s, want 400 tenant_conflict", r.Status, r.Body)
			}
			alice.must(http.StatusOK, "GET", "/api/t/"+a.Slug+"/projects", nil, hdr{"X-Tenant", a.ID})
			// As another tenant: a foreign slug and a missing one in the path
			// answer alike, so the path cannot probe which slugs exist.
			for _, slug := range []string{a.Slug, "no-such-tenant-" + uuid.NewString()[:8]} {
				r := bob.do("GET", "/api/t/"+slug+"/projects", nil, hdr{"X-Tenant", b.ID})
				if r.Status != http.StatusBadRequest || r.Code(t) != "tenant_conflict" {
					t.Errorf("bob with path %s: %d %s, want 400 tenant_conflict", slug, r.Status, r.Body)
				}
			}
		})
		t.Run("path prefix and session tenant", func(t *testing.T) {
			alice.must(http.StatusOK, "GET", "/api/t/"+a.Slug+"/projects/"+p1, nil)
			alice.must(http.StatusOK, "PUT", "/api/me/tenant", map[string]string{"tenant": strings.ToUpper(a.ID)})
			alice.must(http.StatusOK, "GET", "/api/projects/"+p1, nil)
		})
		t.Run("get rename delete", func(t *testing.T) {
			r := alice.must(http.StatusOK, "PATCH", "/api/projects/"+p2, map[string]string{"name": "Gemini 2"}, inA)
			if got := r.JSON(t)["project"].(map[string]any)["name"]; got != "Gemini 2" {
				t.Errorf("renamed to %v", got)
			}
			alice.must(http.StatusOK, "GET", "/api/projects/"+p2, nil, inA)
			alice.must(http.StatusNoContent, "DELETE", "/api/projects/"+p2, nil, inA)
			if r := alice.do("GET", "/api/projects/"+p2, nil, inA); r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
				t.Errorf("deleted project: %d %s", r.Status, r.Body)
			}
			if r := alice.do("DELETE", "/api/projects/"+p2, nil, inA); r.Status != http.StatusNotFound {
				t.Errorf("deleting twice: %d", r.Status)
			}
		})
		t.Run("name taken per tenant", func(t *testing.T) {
			r := alice.do("POST", "/api/projects", map[string]string{"name": "Apollo"}, inA)
			if r.Status != http.StatusConflict || r.Code(t) != "name_taken" {
				t.Errorf("got %d %s, want 409 name_taken", r.Status, r.Body)
			}
		})
		t.Run("bad input", func(t *testing.T) {
			for _, tt := range []struct {
				method, path string
				body         any
				status       int
				code         string
			}{
				{"GET", "/api/projects/not-a-uuid", nil, 404, "not_found"},
				{"GET", "/api/projects/" + strings.Repeat("9", 300), nil, 404, "not_found"},
				{"PATCH", "/api/projects/not-a-uuid", map[string]string{"name": "x"}, 404, "not_found"},
				{"DELETE", "/api/projects/%00", nil, 404, "not_found"},
				{"POST", "/api/projects", map[string]string{"name": ""}, 400, "invalid_request"},
				{"POST", "/api/projects", map[string]string{"name": "nul\x00byte"}, 400, "invalid_request"},
				{"POST", "/api/projects", map[string]string{"name": strings.Repeat("é", 201)}, 400, "invalid_request"},
				{"POST", "/api/projects", `{"name":"x","tenant_id":"` + b.ID + `"}`, 400, "invalid_json"},
				{"POST", "/api/projects", `{"name":"x"}{"name":"y"}`, 400, "invalid_json"},
				{"PATCH", "/api/projects/" + p1, `{"name":`, 400, "invalid_json"},
			} {
				r := alice.do(tt.method, tt.path, tt.body, inA)
				if r.Status != tt.status || r.Code(t) != tt.code {
					t.Errorf("%s %s %v: got %d %s, want %d %s", tt.method, tt.path, tt.body, r.Status, r.Body, tt.status, tt.code)
				}
			}
		})
		t.Run("as another tenant", func(t *testing.T) {
			// Bob, in his own tenant, asks for Alice's project by id.
			inB := hdr{"X-Tenant", b.ID}
			for _, tt := range []struct {
				method string
				body   any
			}{{"GET", nil}, {"PATCH", map[string]string{"name": "pwned"}}, {"DELETE", nil}} {
				r := bob.do(tt.method, "/api/projects/"+p1, tt.body, inB)
				if r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
					t.Errorf("bob %s A's project from B: %d %s, want 404 not_found", tt.method, r.Status, r.Body)
				}
			}
			// Bob names tenant A by header (id and slug) and by path.
			for _, path := range []string{"/api/projects", "/api/projects/" + p1} {
				for _, how := range []struct {
					path string
					h    []hdr
				}{
					{path, []hdr{{"X-Tenant", a.ID}}},
					{path, []hdr{{"X-Tenant", a.Slug}}},
					{strings.Replace(path, "/api/", "/api/t/"+a.Slug+"/", 1), nil},
					{strings.Replace(path, "/api/", "/api/t/"+a.ID+"/", 1), nil},
				} {
					for _, m := range []string{"GET", "POST", "PATCH", "DELETE"} {
						if (m == "POST") != (path == "/api/projects") && m != "GET" {
							continue
						}
						var body any
						if m == "POST" || m == "PATCH" {
							body = map[string]string{"name": "pwned"}
						}
						r := bob.do(m, how.path, body, how.h...)
						if r.Status != http.StatusNotFound || r.Code(t) != "tenant_not_found" {
							t.Errorf("bob %s %s %v: %d %s, want 404 tenant_not_found", m, how.path, how.h, r.Status, r.Body)
						}
					}
				}
			}
			// Nothing of A's changed.
			list := alice.must(http.StatusOK, "GET", "/api/projects", nil, inA).JSON(t)["projects"].([]any)
			for _, p := range list {
				if name := p.(map[string]any)["name"]; name == "pwned" {
					t.Errorf("bob changed A's data: %v", list)
				}
			}
			if len(list) != 1 {
				t.Errorf("A has %d projects, want 1", len(list))
			}
			// Bob's own project is still his alone.
			bob.must(http.StatusOK, "GET", "/api/projects/"+bobs, nil, inB)
			if r := alice.do("GET", "/api/projects/"+bobs, nil, inA); r.Status != http.StatusNotFound {
				t.Errorf("alice reads bob's project: %d", r.Status)
			}
		})
	})
}

func TestHealth(t *testing.T) {
	e := newEnv(t, "redis")
	c := e.client()
	c.must(http.StatusOK, "GET", "/healthz", nil)
	r := c.must(http.StatusOK, "GET", "/readyz", nil).JSON(t)
	if fmt.Sprint(r["checks"]) != "map[postgres:ok sessions:ok]" {
		t.Errorf("readyz = %v", r)
	}
	c.must(http.StatusOK, "GET", "/api/openapi.yaml", nil)
	if r := c.do("GET", "/no/such/route", nil); r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
		t.Errorf("unknown route: %d %s", r.Status, r.Body)
	}
	if r := c.do("PUT", "/healthz", nil); r.Status != http.StatusMethodNotAllowed || r.Code(t) != "method_not_allowed" {
		t.Errorf("wrong method: %d %s", r.Status, r.Body)
	}
}

// TestPathSourceDisabled: without "path" in the sources the /api/t/{tenant}
// routes do not exist, rather than being silently ignored.
func TestPathSourceDisabled(t *testing.T) {
	e := newEnv(t, "postgres")
	e.api = NewServer(Config{
		Logger: e.api.log, Identity: e.ident, Sessions: e.sessions, Tenancy: e.api.tenancy, Projects: e.api.projects,
		Resolver: tenancy.NewResolver([]tenancy.Source{tenancy.SourceHeader, tenancy.SourceSession}, "", e.ident),
	})
	u := e.signup("nopath")
	a := u.createTenant("Nopath")
	if r := u.do("GET", "/api/t/"+a.Slug+"/projects", nil); r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
		t.Errorf("got %d %s, want 404 not_found", r.Status, r.Body)
	}
	u.must(http.StatusOK, "GET", "/api/projects", nil, hdr{"X-Tenant", a.Slug})
}
