package app_test

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/apptest"
)

// The projects API through the whole app: the example component's routes,
// its problems, paging, and that no tenant reaches another's projects.

func TestProjects(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T, e *apptest.Env) {
		alice, bob := e.Signup("alice"), e.Signup("bob")
		a, b := alice.CreateTenant("Acme"), bob.CreateTenant("Beta")
		inA := apptest.InTenant(a)

		p1 := createProject(t, alice, a, "Apollo")
		p2 := createProject(t, alice, a, "Gemini")
		bobs := createProject(t, bob, b, "Apollo") // same name, other tenant: fine

		t.Run("list", func(t *testing.T) {
			list := alice.Must(http.StatusOK, "GET", "/api/projects", nil, inA).JSON(t)["projects"].([]any)
			if len(list) != 2 || list[0].(map[string]any)["id"] != p1 || list[1].(map[string]any)["id"] != p2 {
				t.Errorf("projects = %v, want [%s %s]", list, p1, p2)
			}
			first := list[0].(map[string]any)
			if diff := cmp.Diff(slices.Sorted(maps.Keys(first)), []string{"created_at", "created_by", "id", "name", "updated_at"}); diff != "" {
				t.Errorf("project fields (-got +want):\n%s", diff)
			}
			if first["created_by"] != alice.ID || first["name"] != "Apollo" || first["created_at"] == nil || first["updated_at"] != first["created_at"] {
				t.Errorf("project = %v", first)
			}
			if page := alice.Must(http.StatusOK, "GET", "/api/projects", nil, inA).JSON(t); page["next_cursor"] != nil {
				t.Errorf("the only page has a next_cursor: %v", page)
			}
			page := alice.Must(http.StatusOK, "GET", "/api/projects?limit=1", nil, inA).JSON(t)
			if n := len(page["projects"].([]any)); n != 1 || page["next_cursor"] == nil {
				t.Errorf("limit=1 gave %d projects and next_cursor %v, want 1 and a cursor", n, page["next_cursor"])
			}
			for _, bad := range []string{"0", "-1", "501", "x"} {
				if r := alice.Do("GET", "/api/projects?limit="+bad, nil, inA); r.Status != http.StatusBadRequest || r.Code(t) != "invalid_limit" {
					t.Errorf("limit=%s: %d %s", bad, r.Status, r.Body)
				}
			}
		})
		t.Run("path and header disagree", func(t *testing.T) {
			c := alice.CreateTenant("Second")
			r := alice.Do("POST", "/api/t/"+a.Slug+"/projects", map[string]string{"name": "Where?"}, apptest.InTenant(c))
			if r.Status != http.StatusBadRequest || r.Code(t) != "tenant_conflict" {
				t.Errorf("got %d %s, want 400 tenant_conflict", r.Status, r.Body)
			}
			alice.Must(http.StatusOK, "GET", "/api/t/"+a.Slug+"/projects", nil, apptest.InTenant(a))
			// As another tenant: a foreign slug and a missing one in the path
			// answer alike, so the path cannot probe which slugs exist.
			for _, slug := range []string{a.Slug, "no-such-tenant-" + uuid.NewString()[:8]} {
				r := bob.Do("GET", "/api/t/"+slug+"/projects", nil, apptest.InTenant(b))
				if r.Status != http.StatusBadRequest || r.Code(t) != "tenant_conflict" {
					t.Errorf("bob with path %s: %d %s, want 400 tenant_conflict", slug, r.Status, r.Body)
				}
			}
		})
		t.Run("path prefix and session tenant", func(t *testing.T) {
			alice.Must(http.StatusOK, "GET", "/api/t/"+a.Slug+"/projects/"+p1, nil)
			alice.Must(http.StatusOK, "PUT", "/api/me/tenant", map[string]string{"tenant": strings.ToUpper(a.ID)})
			alice.Must(http.StatusOK, "GET", "/api/projects/"+p1, nil)
		})
		t.Run("get rename delete", func(t *testing.T) {
			r := alice.Must(http.StatusOK, "PATCH", "/api/projects/"+p2, map[string]string{"name": "Gemini 2"}, inA)
			if got := r.JSON(t)["project"].(map[string]any)["name"]; got != "Gemini 2" {
				t.Errorf("renamed to %v", got)
			}
			alice.Must(http.StatusOK, "GET", "/api/projects/"+p2, nil, inA)
			alice.Must(http.StatusNoContent, "DELETE", "/api/projects/"+p2, nil, inA)
			if r := alice.Do("GET", "/api/projects/"+p2, nil, inA); r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
				t.Errorf("deleted project: %d %s", r.Status, r.Body)
			}
			if r := alice.Do("DELETE", "/api/projects/"+p2, nil, inA); r.Status != http.StatusNotFound {
				t.Errorf("deleting twice: %d", r.Status)
			}
		})
		t.Run("name taken per tenant", func(t *testing.T) {
			r := alice.Do("POST", "/api/projects", map[string]string{"name": "Apollo"}, inA)
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
				{"PATCH", "/api/projects/" + p1, map[string]string{"name": " "}, 400, "invalid_request"},
				{"PATCH", "/api/projects/" + p1, map[string]string{"created_by": bob.ID}, 400, "invalid_json"},
				{"GET", "/api/projects?cursor=not-a-cursor", nil, 400, "invalid_cursor"},
			} {
				r := alice.Do(tt.method, tt.path, tt.body, inA)
				if r.Status != tt.status || r.Code(t) != tt.code {
					t.Errorf("%s %s %v: got %d %s, want %d %s", tt.method, tt.path, tt.body, r.Status, r.Body, tt.status, tt.code)
				}
			}
		})
		t.Run("as another tenant", func(t *testing.T) {
			// Bob, in his own tenant, asks for Alice's project by id.
			inB := apptest.InTenant(b)
			for _, tt := range []struct {
				method string
				body   any
			}{{"GET", nil}, {"PATCH", map[string]string{"name": "pwned"}}, {"DELETE", nil}} {
				r := bob.Do(tt.method, "/api/projects/"+p1, tt.body, inB)
				if r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
					t.Errorf("bob %s A's project from B: %d %s, want 404 not_found", tt.method, r.Status, r.Body)
				}
			}
			// Bob names tenant A by header (id and slug) and by path.
			for _, path := range []string{"/api/projects", "/api/projects/" + p1} {
				for _, how := range []struct {
					path string
					h    []apptest.Header
				}{
					{path, []apptest.Header{xTenant(a.ID)}},
					{path, []apptest.Header{xTenant(a.Slug)}},
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
						r := bob.Do(m, how.path, body, how.h...)
						if r.Status != http.StatusNotFound || r.Code(t) != "tenant_not_found" {
							t.Errorf("bob %s %s %v: %d %s, want 404 tenant_not_found", m, how.path, how.h, r.Status, r.Body)
						}
					}
				}
			}
			// Nothing of A's changed.
			list := alice.Must(http.StatusOK, "GET", "/api/projects", nil, inA).JSON(t)["projects"].([]any)
			for _, p := range list {
				if name := p.(map[string]any)["name"]; name == "pwned" {
					t.Errorf("bob changed A's data: %v", list)
				}
			}
			if len(list) != 1 {
				t.Errorf("A has %d projects, want 1", len(list))
			}
			// Bob's list is his project alone.
			mine := bob.Must(http.StatusOK, "GET", "/api/projects", nil, inB).JSON(t)["projects"].([]any)
			if len(mine) != 1 || mine[0].(map[string]any)["id"] != bobs {
				t.Errorf("bob's list = %v, want only %s", mine, bobs)
			}
			// Bob's own project is still his alone.
			bob.Must(http.StatusOK, "GET", "/api/projects/"+bobs, nil, inB)
			if r := alice.Do("GET", "/api/projects/"+bobs, nil, inA); r.Status != http.StatusNotFound {
				t.Errorf("alice reads bob's project: %d", r.Status)
			}
		})
	})
}

// projectPage is one page of GET /api/projects.
type projectPage struct {
	IDs        []string
	NextCursor string
	HasCursor  bool // next_cursor is in the body at all
}

func listProjects(t *testing.T, u apptest.User, tn apptest.Tenant, query string) projectPage {
	t.Helper()
	m := u.Must(http.StatusOK, "GET", "/api/projects"+query, nil, apptest.InTenant(tn)).JSON(t)
	var p projectPage
	for _, x := range m["projects"].([]any) {
		p.IDs = append(p.IDs, x.(map[string]any)["id"].(string))
	}
	if c, ok := m["next_cursor"]; ok {
		p.HasCursor = true
		p.NextCursor, _ = c.(string)
	}
	return p
}

// walkProjects follows next_cursor from the first page to the last, and
// returns the ids in the order seen and the size of each page.
func walkProjects(t *testing.T, u apptest.User, tn apptest.Tenant, limit int) (ids []string, sizes []int) {
	t.Helper()
	query := fmt.Sprintf("?limit=%d", limit)
	for range 100 {
		p := listProjects(t, u, tn, query)
		ids, sizes = append(ids, p.IDs...), append(sizes, len(p.IDs))
		if !p.HasCursor {
			return ids, sizes
		}
		if p.NextCursor == "" {
			t.Fatalf("page %d: next_cursor is present but empty", len(sizes))
		}
		query = fmt.Sprintf("?limit=%d&cursor=%s", limit, url.QueryEscape(p.NextCursor))
	}
	t.Fatal("no last page after 100 pages")
	return nil, nil
}

func TestProjectPages(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	alice, bob := e.Signup("alice"), e.Signup("bob")
	a, b := alice.CreateTenant("Paged"), bob.CreateTenant("Other")
	// Bob's projects sit between Alice's in time: a page that leaked
	// across tenants would show them.
	var want, bobs []string
	for i := range 7 {
		want = append(want, createProject(t, alice, a, fmt.Sprintf("project %d", i)))
		if i%3 == 0 {
			bobs = append(bobs, createProject(t, bob, b, fmt.Sprintf("bob's %d", i)))
		}
	}

	t.Run("limit 3 walks 3 pages, each project once, in order", func(t *testing.T) {
		ids, sizes := walkProjects(t, alice, a, 3)
		if diff := cmp.Diff(sizes, []int{3, 3, 1}); diff != "" {
			t.Errorf("page sizes (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(ids, want); diff != "" {
			t.Errorf("projects across pages (-got +want):\n%s", diff)
		}
	})
	t.Run("a page that ends exactly at the last project is the last", func(t *testing.T) {
		ids, sizes := walkProjects(t, alice, a, 7)
		if diff := cmp.Diff(sizes, []int{7}); diff != "" {
			t.Errorf("page sizes (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(ids, want); diff != "" {
			t.Errorf("projects (-got +want):\n%s", diff)
		}
	})
	t.Run("one page by default", func(t *testing.T) {
		p := listProjects(t, alice, a, "")
		if diff := cmp.Diff(p.IDs, want); diff != "" || p.HasCursor {
			t.Errorf("next_cursor %q, projects (-got +want):\n%s", p.NextCursor, diff)
		}
	})
	t.Run("as another tenant", func(t *testing.T) {
		ids, _ := walkProjects(t, bob, b, 1)
		if diff := cmp.Diff(ids, bobs); diff != "" {
			t.Errorf("bob's projects (-got +want):\n%s", diff)
		}
		// A cursor is a position, not a permission: Alice's cursor in
		// Bob's tenant pages through Bob's projects only.
		first := listProjects(t, alice, a, "?limit=1")
		p := listProjects(t, bob, b, "?cursor="+url.QueryEscape(first.NextCursor))
		for _, id := range p.IDs {
			if !slices.Contains(bobs, id) {
				t.Errorf("bob, with alice's cursor, sees %s, not one of his %v", id, bobs)
			}
		}
	})
	t.Run("bad limit or cursor", func(t *testing.T) {
		cursor := listProjects(t, alice, a, "?limit=1").NextCursor
		for _, tt := range []struct{ query, code string }{
			{"?limit=0", "invalid_limit"},
			{"?limit=-1", "invalid_limit"},
			{"?limit=501", "invalid_limit"},
			{"?limit=x", "invalid_limit"},
			{"?limit=2.5", "invalid_limit"},
			{"?limit=99999999999999999999", "invalid_limit"},
			{"?cursor=abc", "invalid_cursor"},
			{"?cursor=" + url.QueryEscape(cursor+"A"), "invalid_cursor"},
			{"?cursor=" + url.QueryEscape(cursor[:len(cursor)-1]), "invalid_cursor"},
			{"?cursor=" + strings.Repeat("A", 32) + "%00", "invalid_cursor"},
			{"?cursor=" + url.QueryEscape(strings.Repeat("/", 32)), "invalid_cursor"},
			{"?limit=2&cursor=" + uuid.NewString(), "invalid_cursor"},
		} {
			r := alice.Do("GET", "/api/projects"+tt.query, nil, apptest.InTenant(a))
			if r.Status != http.StatusBadRequest || r.Code(t) != tt.code {
				t.Errorf("%s: got %d %s, want 400 %s", tt.query, r.Status, r.Body, tt.code)
			}
		}
	})
	t.Run("default page size 50, at most 500", func(t *testing.T) {
		for i := len(want); i < 51; i++ {
			want = append(want, createProject(t, alice, a, fmt.Sprintf("project %d", i)))
		}
		p := listProjects(t, alice, a, "")
		if len(p.IDs) != 50 || !p.HasCursor {
			t.Errorf("default page: %d projects, next_cursor %q; want 50 and a cursor", len(p.IDs), p.NextCursor)
		}
		rest := listProjects(t, alice, a, "?cursor="+url.QueryEscape(p.NextCursor))
		if diff := cmp.Diff(append(p.IDs, rest.IDs...), want); diff != "" || rest.HasCursor {
			t.Errorf("second default page: next_cursor %q, all projects (-got +want):\n%s", rest.NextCursor, diff)
		}
		if p := listProjects(t, alice, a, "?limit=500"); len(p.IDs) != 51 || p.HasCursor {
			t.Errorf("limit=500: %d projects, next_cursor %q; want 51 and none", len(p.IDs), p.NextCursor)
		}
	})
}

// project is a project as the API shows it.
type project struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func decodeProject(t *testing.T, r apptest.Response) project {
	t.Helper()
	var got struct {
		Project project `json:"project"`
	}
	r.Decode(t, &got)
	return got.Project
}

func TestProjectUpdate(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	alice := e.Signup("alice")
	a := alice.CreateTenant("Patchy")
	in := apptest.InTenant(a)
	path := "/api/projects/" + createProject(t, alice, a, "Mercury")
	createProject(t, alice, a, "Mars")
	orig := decodeProject(t, alice.Must(http.StatusOK, "GET", path, nil, in))

	// check compares a PATCH's answer with want, but for updated_at, which
	// must have moved past after, and with what a GET then answers.
	check := func(t *testing.T, step string, got project, want project, after time.Time) {
		t.Helper()
		if !got.UpdatedAt.After(after) {
			t.Errorf("%s: updated_at %v, want after %v", step, got.UpdatedAt, after)
		}
		want.UpdatedAt = got.UpdatedAt
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("%s (-got +want):\n%s", step, diff)
		}
		stored := decodeProject(t, alice.Must(http.StatusOK, "GET", path, nil, in))
		if diff := cmp.Diff(stored, got); diff != "" {
			t.Errorf("%s: GET after PATCH (-got +want):\n%s", step, diff)
		}
	}

	// An absent field is left as it is; the update time still moves.
	same := decodeProject(t, alice.Must(http.StatusOK, "PATCH", path, map[string]any{}, in))
	check(t, "empty patch", same, orig, orig.UpdatedAt)

	want := orig
	want.Name = "Venus"
	renamed := decodeProject(t, alice.Must(http.StatusOK, "PATCH", path, map[string]string{"name": "  Venus "}, in))
	check(t, "rename", renamed, want, same.UpdatedAt)

	// Refused patches change nothing.
	for _, tt := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]string{"name": "Mars"}, http.StatusConflict, "name_taken"},
		{map[string]string{"name": ""}, http.StatusBadRequest, "invalid_request"},
		{map[string]string{"name": strings.Repeat("x", 201)}, http.StatusBadRequest, "invalid_request"},
		{map[string]any{"name": 7}, http.StatusBadRequest, "invalid_json"},
		{map[string]string{"id": uuid.NewString()}, http.StatusBadRequest, "invalid_json"},
		{map[string]string{"created_at": "2000-01-01T00:00:00Z"}, http.StatusBadRequest, "invalid_json"},
	} {
		if r := alice.Do("PATCH", path, tt.body, in); r.Status != tt.status || r.Code(t) != tt.code {
			t.Errorf("PATCH %v: got %d %s, want %d %s", tt.body, r.Status, r.Body, tt.status, tt.code)
		}
	}
	if diff := cmp.Diff(decodeProject(t, alice.Must(http.StatusOK, "GET", path, nil, in)), renamed); diff != "" {
		t.Errorf("after refused patches (-got +want):\n%s", diff)
	}

	alice.Must(http.StatusNoContent, "DELETE", path, nil, in)
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		var body any
		if m == "PATCH" {
			body = map[string]string{"name": "Pluto"}
		}
		if r := alice.Do(m, path, body, in); r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
			t.Errorf("%s after delete: %d %s, want 404 not_found", m, r.Status, r.Body)
		}
	}
}

// TestProjectInUse: a project another table's rows refer to cannot be
// deleted (409 project_in_use) until they are gone. The template has no
// such table, so the test adds one, as a fork's component would.
func TestProjectInUse(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	alice := e.Signup("alice")
	a := alice.CreateTenant("Busy")
	in := apptest.InTenant(a)
	id := createProject(t, alice, a, "Referenced")
	if _, err := e.DB.Owner.Exec(t.Context(), `
		CREATE TABLE IF NOT EXISTS apptest_project_refs (
			tenant_id  uuid NOT NULL,
			project_id uuid NOT NULL,
			FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id)
		)`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.Owner.Exec(t.Context(), "INSERT INTO apptest_project_refs VALUES ($1, $2)", a.ID, id); err != nil {
		t.Fatal(err)
	}
	if r := alice.Do("DELETE", "/api/projects/"+id, nil, in); r.Status != http.StatusConflict || r.Code(t) != "project_in_use" {
		t.Errorf("delete a referenced project: %d %s, want 409 project_in_use", r.Status, r.Body)
	}
	alice.Must(http.StatusOK, "GET", "/api/projects/"+id, nil, in)
	if _, err := e.DB.Owner.Exec(t.Context(), "DELETE FROM apptest_project_refs WHERE project_id = $1", id); err != nil {
		t.Fatal(err)
	}
	alice.Must(http.StatusNoContent, "DELETE", "/api/projects/"+id, nil, in)
}
