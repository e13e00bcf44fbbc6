package app_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/apptest"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/identity"
)

// matrixRoles are the columns of the role matrix.
var matrixRoles = [4]identity.Role{identity.RoleOwner, identity.RoleAdmin, identity.RoleMember, identity.RoleViewer}

// roleRoute is a row of the role matrix: a tenant-scoped route and the
// status each role gets from it.
type roleRoute struct {
	method, route string // as the router has it under /api
	// request returns a fresh request to the route (the path with its ids,
	// the body) and a check that a refused request changed nothing; it may
	// create rows as the owner first.
	request func(t *testing.T) (path string, body any, unchanged func(t *testing.T))
	want    [4]int // owner, admin, member, viewer; 403 means forbidden
	// tenant, if set, makes a fresh tenant for each request, with each
	// role's user in it (for a route that ends the tenant), instead of
	// Acme; unchanged then checks that one.
	tenant func(t *testing.T) apptest.Tenant
}

// TestRoleMatrix (issue 10) walks every tenant-scoped route × every role
// over HTTP: a role the permission table allows gets the route's success,
// any other 403 forbidden, and its request changes nothing. A route the app
// serves in a tenant without a row here fails the test, except those of
// components that `make table` wrote after the example: their own
// http_test.go checks their roles the same way.
func TestRoleMatrix(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	owner := e.Signup("owner")
	acme := owner.CreateTenant("Acme")
	inAcme := apptest.InTenant(acme)
	users := map[identity.Role]apptest.User{identity.RoleOwner: owner}
	for _, role := range matrixRoles[1:] {
		u := e.Signup(string(role))
		e.AddMember(acme, u, role)
		users[role] = u
	}

	// newProject creates a project as the owner and returns its path and
	// a check that it is still as it was.
	newProject := func(t *testing.T) (string, func(t *testing.T)) {
		t.Helper()
		path := "/api/projects/" + createProject(t, owner, acme, "p-"+uuid.NewString()[:8])
		before := owner.Must(http.StatusOK, "GET", path, nil, inAcme).JSON(t)
		return path, func(t *testing.T) {
			t.Helper()
			if after := owner.Do("GET", path, nil, inAcme); after.Status != http.StatusOK || !cmp.Equal(after.JSON(t), before) {
				t.Errorf("%s changed: %d %s, was %v", path, after.Status, after.Body, before)
			}
		}
	}
	nothing := func(*testing.T) {} // reads change nothing to check

	// newViewer adds a fresh viewer to acme and returns the path of their
	// membership and a check that it is still a viewer's.
	newViewer := func(t *testing.T) (string, func(t *testing.T)) {
		t.Helper()
		u := e.Signup("target")
		e.AddMember(acme, u, identity.RoleViewer)
		return "/api/members/" + u.ID, func(t *testing.T) {
			t.Helper()
			if got := memberRoles(t, owner, acme)[u.ID]; got != "viewer" {
				t.Errorf("a refused request left the viewer's role %q", got)
			}
		}
	}

	// invitationEmails lists the addresses of acme's pending invitations.
	invitationEmails := func(t *testing.T) map[string]string {
		t.Helper()
		var got struct {
			Invitations []struct {
				ID    string `json:"id"`
				Email string `json:"email"`
			} `json:"invitations"`
		}
		owner.Must(http.StatusOK, "GET", "/api/invitations", nil, inAcme).Decode(t, &got)
		out := map[string]string{}
		for _, inv := range got.Invitations {
			out[inv.Email] = inv.ID
		}
		return out
	}
	// doomed is a fresh tenant with every role's user in it.
	var doomedSlug string
	doomed := func(t *testing.T) apptest.Tenant {
		t.Helper()
		tn := owner.CreateTenant("Doomed")
		for _, role := range matrixRoles[1:] {
			e.AddMember(tn, users[role], role)
		}
		doomedSlug = tn.Slug
		return tn
	}

	// keyNames lists acme's API keys by name.
	keyNames := func(t *testing.T) map[string]string {
		t.Helper()
		var got struct {
			APIKeys []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"api_keys"`
		}
		owner.Must(http.StatusOK, "GET", "/api/api-keys", nil, inAcme).Decode(t, &got)
		out := map[string]string{}
		for _, k := range got.APIKeys {
			out[k.Name] = k.ID
		}
		return out
	}

	matrix := []roleRoute{
		{method: "GET", route: "/api/api-keys", request: func(*testing.T) (string, any, func(*testing.T)) {
			return "/api/api-keys", nil, nothing
		}, want: [4]int{200, 200, 403, 403}},
		{method: "POST", route: "/api/api-keys", request: func(*testing.T) (string, any, func(*testing.T)) {
			name := "key-" + uuid.NewString()[:8]
			return "/api/api-keys", map[string]string{"name": name, "role": "viewer"}, func(t *testing.T) {
				t.Helper()
				if _, ok := keyNames(t)[name]; ok {
					t.Errorf("a refused POST created the key %s", name)
				}
			}
		}, want: [4]int{201, 201, 403, 403}},
		{method: "DELETE", route: "/api/api-keys/{id}", request: func(t *testing.T) (string, any, func(*testing.T)) {
			t.Helper()
			name := "key-" + uuid.NewString()[:8]
			owner.Must(http.StatusCreated, "POST", "/api/api-keys", map[string]string{"name": name, "role": "viewer"}, inAcme)
			return "/api/api-keys/" + keyNames(t)[name], nil, func(t *testing.T) {
				t.Helper()
				if _, ok := keyNames(t)[name]; !ok {
					t.Errorf("a refused DELETE revoked the key %s", name)
				}
			}
		}, want: [4]int{204, 204, 403, 403}},
		{method: "GET", route: "/api/invitations", request: func(*testing.T) (string, any, func(*testing.T)) {
			return "/api/invitations", nil, nothing
		}, want: [4]int{200, 200, 403, 403}},
		{method: "POST", route: "/api/invitations", request: func(*testing.T) (string, any, func(*testing.T)) {
			email := "invitee-" + uuid.NewString()[:8] + "@example.com"
			return "/api/invitations", map[string]string{"email": email, "role": "member"}, func(t *testing.T) {
				t.Helper()
				if _, ok := invitationEmails(t)[email]; ok {
					t.Errorf("a refused POST invited %s", email)
				}
			}
		}, want: [4]int{201, 201, 403, 403}},
		{method: "DELETE", route: "/api/invitations/{id}", request: func(t *testing.T) (string, any, func(*testing.T)) {
			t.Helper()
			email := "invitee-" + uuid.NewString()[:8] + "@example.com"
			owner.Must(http.StatusCreated, "POST", "/api/invitations", map[string]string{"email": email, "role": "viewer"}, inAcme)
			id := invitationEmails(t)[email]
			return "/api/invitations/" + id, nil, func(t *testing.T) {
				t.Helper()
				if _, ok := invitationEmails(t)[email]; !ok {
					t.Errorf("a refused DELETE revoked the invitation of %s", email)
				}
			}
		}, want: [4]int{204, 204, 403, 403}},
		{method: "DELETE", route: "/api/tenant", request: func(*testing.T) (string, any, func(*testing.T)) {
			return "/api/tenant", nil, func(t *testing.T) {
				t.Helper()
				if r := owner.Do("GET", "/api/tenant", nil, apptest.Header{Key: "X-Tenant", Value: doomedSlug}); r.Status != http.StatusOK {
					t.Errorf("a refused DELETE: the tenant answers %d %s", r.Status, r.Body)
				}
			}
		}, want: [4]int{204, 403, 403, 403}, tenant: doomed},
		{"GET", "/api/members", func(*testing.T) (string, any, func(*testing.T)) {
			return "/api/members", nil, nothing
		}, [4]int{200, 200, 200, 200}, nil},
		{"GET", "/api/audit-events", func(*testing.T) (string, any, func(*testing.T)) {
			return "/api/audit-events", nil, nothing
		}, [4]int{200, 200, 403, 403}, nil},
		{"PATCH", "/api/members/{user_id}", func(t *testing.T) (string, any, func(*testing.T)) {
			path, unchanged := newViewer(t)
			return path, map[string]string{"role": "member"}, unchanged
		}, [4]int{204, 204, 403, 403}, nil},
		{"DELETE", "/api/members/{user_id}", func(t *testing.T) (string, any, func(*testing.T)) {
			path, unchanged := newViewer(t)
			return path, nil, unchanged
		}, [4]int{204, 204, 403, 403}, nil},
		{"GET", "/api/projects", func(*testing.T) (string, any, func(*testing.T)) {
			return "/api/projects", nil, nothing
		}, [4]int{200, 200, 200, 200}, nil},
		{"POST", "/api/projects", func(t *testing.T) (string, any, func(*testing.T)) {
			name := "new-" + uuid.NewString()[:8]
			return "/api/projects", map[string]string{"name": name}, func(t *testing.T) {
				t.Helper()
				for _, p := range owner.Must(http.StatusOK, "GET", "/api/projects?limit=500", nil, inAcme).JSON(t)["projects"].([]any) {
					if p.(map[string]any)["name"] == name {
						t.Errorf("a refused POST created %v", p)
					}
				}
			}
		}, [4]int{201, 201, 201, 403}, nil},
		{"GET", "/api/projects/{id}", func(t *testing.T) (string, any, func(*testing.T)) {
			path, _ := newProject(t)
			return path, nil, nothing
		}, [4]int{200, 200, 200, 200}, nil},
		{"PATCH", "/api/projects/{id}", func(t *testing.T) (string, any, func(*testing.T)) {
			path, unchanged := newProject(t)
			return path, map[string]string{"name": "renamed-" + uuid.NewString()[:8]}, unchanged
		}, [4]int{200, 200, 200, 403}, nil},
		{"DELETE", "/api/projects/{id}", func(t *testing.T) (string, any, func(*testing.T)) {
			path, unchanged := newProject(t)
			return path, nil, unchanged
		}, [4]int{204, 204, 403, 403}, nil},
		{"GET", "/api/tenant", func(*testing.T) (string, any, func(*testing.T)) {
			return "/api/tenant", nil, nothing
		}, [4]int{200, 200, 200, 200}, nil},
		{"PATCH", "/api/tenant", func(t *testing.T) (string, any, func(*testing.T)) {
			t.Helper()
			before := owner.Must(http.StatusOK, "GET", "/api/tenant", nil, inAcme).JSON(t)
			return "/api/tenant", map[string]string{"name": "Acme " + uuid.NewString()[:8]}, func(t *testing.T) {
				t.Helper()
				if after := owner.Must(http.StatusOK, "GET", "/api/tenant", nil, inAcme).JSON(t); !cmp.Equal(after, before) {
					t.Errorf("a refused PATCH changed the tenant: %v, was %v", after, before)
				}
			}
		}, [4]int{200, 403, 403, 403}, nil},
		{"POST", "/api/tenant/transfer", func(t *testing.T) (string, any, func(*testing.T)) {
			t.Helper()
			target := e.Signup("heir")
			e.AddMember(acme, target, identity.RoleMember)
			// Put the owner back as the only owner, after the request.
			t.Cleanup(func() {
				if memberRoles(t, target, acme)[owner.ID] != "owner" {
					target.Must(http.StatusNoContent, "PATCH", "/api/members/"+owner.ID, map[string]string{"role": "owner"}, inAcme)
				}
				owner.Must(http.StatusNoContent, "DELETE", "/api/members/"+target.ID, nil, inAcme)
			})
			return "/api/tenant/transfer", map[string]string{"user_id": target.ID}, func(t *testing.T) {
				t.Helper()
				roles := memberRoles(t, owner, acme)
				if roles[owner.ID] != "owner" || roles[target.ID] != "member" {
					t.Errorf("a refused transfer left the owner %q and the member %q", roles[owner.ID], roles[target.ID])
				}
			}
		}, [4]int{204, 403, 403, 403}, nil},
		// Last: every role but the owner leaves (the owner is the last
		// one, 409 last_owner).
		{"POST", "/api/members/leave", func(*testing.T) (string, any, func(*testing.T)) {
			return "/api/members/leave", nil, nothing
		}, [4]int{409, 204, 204, 204}, nil},
	}

	for _, rr := range matrix {
		for i, role := range matrixRoles {
			t.Run(rr.method+" "+rr.route+"/"+string(role), func(t *testing.T) {
				in := inAcme
				if rr.tenant != nil {
					in = apptest.InTenant(rr.tenant(t))
				}
				path, body, unchanged := rr.request(t)
				r := users[role].Do(rr.method, path, body, in)
				want := rr.want[i]
				if r.Status != want {
					t.Fatalf("%s %s as %s: %d %s, want %d", rr.method, path, role, r.Status, r.Body, want)
				}
				if want == http.StatusForbidden {
					if code := r.Code(t); code != "forbidden" {
						t.Errorf("%s %s as %s: code %q, want forbidden", rr.method, path, role, code)
					}
					unchanged(t)
				}
			})
		}
	}

	t.Run("every tenant-scoped route has a row", func(t *testing.T) {
		have := map[string]bool{}
		for _, rr := range matrix {
			have[rr.method+" "+rr.route] = true
		}
		generated := generatedPaths(t)
		var missing []string
		err := e.App.Server.Walk(func(method, route string) error {
			rest, ok := strings.CutPrefix(route, "/api/t/{tenant}/")
			if !ok {
				return nil // not tenant-scoped
			}
			route = "/api/" + rest
			if have[method+" "+route] {
				delete(have, method+" "+route)
				return nil
			}
			if !slices.ContainsFunc(generated, func(p string) bool { return route == p || strings.HasPrefix(route, p+"/") }) {
				missing = append(missing, method+" "+route)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) > 0 {
			t.Errorf("tenant-scoped routes without a row in the role matrix: %v", missing)
		}
		if len(have) > 0 {
			t.Errorf("rows in the role matrix for routes the app does not serve in a tenant: %v", have)
		}
	})
}

// generatedComponent matches the comment `make table` writes above a
// component's path items in openapi.yaml, and its first path.
var generatedComponent = regexp.MustCompile(`(?m)^  # \w+: internal/\w+, written by\n  #   make table .*\n\n  (/\S+):$`)

// generatedPaths returns, under /api, the paths of the components that
// `make table` added to openapi.yaml (not the example, projects).
func generatedPaths(t *testing.T) []string {
	t.Helper()
	var paths []string
	for _, m := range generatedComponent.FindAllStringSubmatch(string(httpapi.OpenAPI()), -1) {
		paths = append(paths, "/api"+m[1])
	}
	return paths
}

// memberRoles maps tn's members' ids to their roles, as u sees them.
func memberRoles(t *testing.T, u apptest.User, tn apptest.Tenant) map[string]string {
	t.Helper()
	var got struct {
		Members []struct {
			UserID string `json:"user_id"`
			Role   string `json:"role"`
		} `json:"members"`
	}
	u.Must(http.StatusOK, "GET", "/api/members", nil, apptest.InTenant(tn)).Decode(t, &got)
	out := map[string]string{}
	for _, m := range got.Members {
		out[m.UserID] = m.Role
	}
	return out
}
