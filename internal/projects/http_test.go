package projects_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/identity"
)

// postRow creates a row through the API and returns its id.
func postRow(t *testing.T, u apptest.User, tn apptest.Tenant, path, key string, body map[string]any) string {
	t.Helper()
	id, _ := rowOf(t, u.Must(http.StatusCreated, "POST", path, body, apptest.InTenant(tn)), key)["id"].(string)
	if id == "" {
		t.Fatalf("POST %s: the %s has no id", path, key)
	}
	return id
}

// rowOf returns the object under key in a response body.
func rowOf(t *testing.T, r apptest.Response, key string) map[string]any {
	t.Helper()
	row, ok := r.JSON(t)[key].(map[string]any)
	if !ok {
		t.Fatalf("no %s object in %s", key, r.Body)
	}
	return row
}

// TestHTTP drives the projects API through the real app, each request and
// response checked against openapi.yaml: create, get, list, patch and
// delete, bad input, and another tenant's member who must see nothing.
func TestHTTP(t *testing.T) {
	e := apptest.New(t, apptest.Options{Store: "postgres"})
	alice := e.Signup("alice")
	acme := alice.CreateTenant("Acme")
	inAcme := apptest.InTenant(acme)

	id := postRow(t, alice, acme, "/api/projects", "project", map[string]any{"name": "Apollo"})
	path := "/api/projects/" + id
	created := rowOf(t, alice.Must(http.StatusOK, "GET", path, nil, inAcme), "project")
	if r := alice.Must(http.StatusOK, "GET", "/api/t/"+acme.Slug+"/projects/"+id, nil); !cmp.Equal(rowOf(t, r, "project"), created) {
		t.Errorf("GET under /api/t/%s: %s, want %v", acme.Slug, r.Body, created)
	}

	list := alice.Must(http.StatusOK, "GET", "/api/projects?limit=10", nil, inAcme).JSON(t)
	if rows, _ := list["projects"].([]any); len(rows) != 1 || !cmp.Equal(rows[0], created) {
		t.Errorf("list = %v, want just %v", list, created)
	}

	patched := rowOf(t, alice.Must(http.StatusOK, "PATCH", path, map[string]any{"name": "Artemis"}, inAcme), "project")
	if patched["name"] != "Artemis" {
		t.Errorf("PATCH name: %v, want name changed", patched)
	}

	// Bad input: 400, and a malformed id names nothing: 404.
	if code := alice.Do("POST", "/api/projects", map[string]any{"unknown": 1}, inAcme).Code(t); code != "invalid_json" {
		t.Errorf("POST with an unknown field: code %q, want invalid_json", code)
	}
	if r := alice.Do("POST", "/api/projects", map[string]any{"name": ""}, inAcme); r.Status != http.StatusBadRequest || r.Code(t) != "invalid_request" {
		t.Errorf("POST with an empty name: %d %s, want 400 invalid_request", r.Status, r.Body)
	}
	if r := alice.Do("GET", "/api/projects/not-a-uuid", nil, inAcme); r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
		t.Errorf("GET a malformed id: %d %s, want 404 not_found", r.Status, r.Body)
	}

	// As another tenant: its member sees nothing of Acme's projects, in
	// their own tenant (not_found) or by naming Acme (tenant_not_found).
	bob := e.Signup("bob")
	bobco := bob.CreateTenant("Bobco")
	for _, tc := range []struct {
		tenant apptest.Tenant
		code   string
	}{{bobco, "not_found"}, {acme, "tenant_not_found"}} {
		for _, method := range []string{"GET", "PATCH", "DELETE"} {
			var body any
			if method == "PATCH" {
				body = map[string]any{}
			}
			r := bob.Do(method, path, body, apptest.InTenant(tc.tenant))
			if r.Status != http.StatusNotFound || r.Code(t) != tc.code {
				t.Errorf("bob: %s %s in %s: %d %s, want 404 %s", method, path, tc.tenant.Slug, r.Status, r.Body, tc.code)
			}
		}
	}
	if rows, _ := bob.Must(http.StatusOK, "GET", "/api/projects", nil, apptest.InTenant(bobco)).JSON(t)["projects"].([]any); len(rows) != 0 {
		t.Errorf("bob lists %d projects in his own tenant, want 0", len(rows))
	}

	// Roles (tenancy.Require): a viewer reads and writes nothing, a member
	// writes and deletes nothing; each refusal is 403 forbidden and
	// changes nothing. (internal/app's role matrix walks every role.)
	viewer, member := e.Signup("viewer"), e.Signup("member")
	e.AddMember(acme, viewer, identity.RoleViewer)
	e.AddMember(acme, member, identity.RoleMember)
	before := rowOf(t, viewer.Must(http.StatusOK, "GET", path, nil, inAcme), "project")
	viewer.Must(http.StatusOK, "GET", "/api/projects", nil, inAcme)
	for _, tc := range []struct {
		who          apptest.User
		method, path string
		body         any
	}{
		{viewer, "POST", "/api/projects", map[string]any{"name": "Apollo"}},
		{viewer, "PATCH", path, map[string]any{}},
		{viewer, "DELETE", path, nil},
		{member, "DELETE", path, nil},
	} {
		if r := tc.who.Do(tc.method, tc.path, tc.body, inAcme); r.Status != http.StatusForbidden || r.Code(t) != "forbidden" {
			t.Errorf("%s: %s %s: %d %s, want 403 forbidden", tc.who.Email, tc.method, tc.path, r.Status, r.Body)
		}
	}
	if after := rowOf(t, alice.Must(http.StatusOK, "GET", path, nil, inAcme), "project"); !cmp.Equal(after, before) {
		t.Errorf("after the refused requests: %v, want %v", after, before)
	}

	alice.Must(http.StatusNoContent, "DELETE", path, nil, inAcme)
	if r := alice.Do("GET", path, nil, inAcme); r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
		t.Errorf("GET after DELETE: %d %s, want 404 not_found", r.Status, r.Body)
	}
}
