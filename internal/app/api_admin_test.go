package app_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/apptest"
)

// adminReason is a platform admin's opt-in header.
func adminReason(reason string) apptest.Header {
	return apptest.Header{Key: "X-Admin-Reason", Value: reason}
}

// grantPlatformAdmin makes u a platform admin, as `server admins grant`
// does (the API cannot).
func grantPlatformAdmin(t *testing.T, e *apptest.Env, u apptest.User) {
	t.Helper()
	if _, err := e.App.Identity.GrantPlatformAdmin(t.Context(), u.Email); err != nil {
		t.Fatal(err)
	}
}

// wantProblem fails t unless r is a problem with status and code.
func wantProblem(t *testing.T, what string, r apptest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.Code(t) != code {
		t.Errorf("%s: %d %s, want %d %s", what, r.Status, r.Body, status, code)
	}
}

// TestPlatformAdminAccess (issue 10): a platform admin acts in a tenant
// they are not a member of only with X-Admin-Reason; then with the admin
// role, and each request writes platform.admin_access, with the reason
// and the admin as actor, into that tenant's audit log in its own
// transaction: a request that fails leaves neither its change nor the
// event. Without the header, and for anyone else with it, the tenant is
// not found.
func TestPlatformAdminAccess(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	owner := e.Signup("owner")
	acme := owner.CreateTenant("Acme")
	in := apptest.InTenant(acme)
	createProject(t, owner, acme, "existing")
	root, outsider := e.Signup("root"), e.Signup("outsider")
	grantPlatformAdmin(t, e, root)
	const reason = "support ticket 4711"
	why := adminReason(reason)

	adminEvents := func(t *testing.T) []auditEvent {
		t.Helper()
		return auditEvents(t, owner, acme, "?action=platform.admin_access").Events
	}
	projectNames := func(t *testing.T) []string {
		t.Helper()
		var got struct {
			Projects []struct {
				Name string `json:"name"`
			} `json:"projects"`
		}
		owner.Must(http.StatusOK, "GET", "/api/projects", nil, in).Decode(t, &got)
		var names []string
		for _, p := range got.Projects {
			names = append(names, p.Name)
		}
		return names
	}

	t.Run("without the header", func(t *testing.T) {
		wantProblem(t, "GET /api/projects", root.Do("GET", "/api/projects", nil, in), http.StatusNotFound, "tenant_not_found")
		wantProblem(t, "POST /api/projects", root.Do("POST", "/api/projects", map[string]string{"name": "sneaky"}, in), http.StatusNotFound, "tenant_not_found")
		if got := adminEvents(t); len(got) != 0 {
			t.Errorf("events: %v", got)
		}
	})

	t.Run("with the header", func(t *testing.T) {
		r := root.Must(http.StatusOK, "GET", "/api/projects", nil, in, why)
		requestID := r.Header.Get("X-Request-Id")
		if !strings.Contains(string(r.Body), "existing") {
			t.Errorf("the admin's list: %s", r.Body)
		}
		var created struct {
			Project struct {
				ID string `json:"id"`
			} `json:"project"`
		}
		root.Must(http.StatusCreated, "POST", "/api/projects", map[string]string{"name": "by support"}, in, why).Decode(t, &created)
		// The admin role may delete, not rename the tenant.
		root.Must(http.StatusNoContent, "DELETE", "/api/projects/"+created.Project.ID, nil, in, why)
		wantProblem(t, "PATCH /api/tenant", root.Do("PATCH", "/api/tenant", map[string]string{"name": "Pwned"}, in, why), http.StatusForbidden, "forbidden")

		events := adminEvents(t)
		if len(events) != 3 {
			t.Fatalf("platform.admin_access events: %d, want 3 (GET, POST, DELETE; not the refused PATCH): %+v", len(events), events)
		}
		for _, ev := range events {
			if ev.Actor == nil || *ev.Actor != root.ID || ev.Target != acme.ID || ev.Detail["reason"] != reason || ev.IP == "" {
				t.Errorf("event %+v: want actor %s, target %s, reason %q", ev, root.ID, acme.ID, reason)
			}
		}
		if got := events[len(events)-1].RequestID; got != requestID || got == "" {
			t.Errorf("the GET's event has request id %q, the response %q", got, requestID)
		}
		// What the admin did is recorded with the admin as its actor.
		all := auditEvents(t, owner, acme, "?actor="+root.ID).Events
		want := [][2]string{
			{"project.deleted", created.Project.ID}, {"platform.admin_access", acme.ID},
			{"project.created", created.Project.ID}, {"platform.admin_access", acme.ID},
			{"platform.admin_access", acme.ID},
		}
		if diff := cmp.Diff(want, actions(all)); diff != "" {
			t.Errorf("the admin's events, newest first (-want +got):\n%s", diff)
		}
		// The X-Tenant path prefix works alike.
		root.Must(http.StatusOK, "GET", "/api/t/"+acme.ID+"/members", nil, why)
	})

	t.Run("a failed request leaves no event and no change", func(t *testing.T) {
		before, names := adminEvents(t), projectNames(t)
		// A conflict: the insert ran in the transaction, then failed.
		wantProblem(t, "POST a duplicate", root.Do("POST", "/api/projects", map[string]string{"name": "existing"}, in, why), http.StatusConflict, "name_taken")
		// Invalid input, refused before any statement of the handler's.
		if r := root.Do("POST", "/api/projects", map[string]string{"name": ""}, in, why); r.Status != http.StatusBadRequest {
			t.Errorf("POST an empty name: %d %s, want 400", r.Status, r.Body)
		}
		if diff := cmp.Diff(before, adminEvents(t)); diff != "" {
			t.Errorf("events (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(names, projectNames(t)); diff != "" {
			t.Errorf("projects (-before +after):\n%s", diff)
		}
	})

	t.Run("anyone else with the header", func(t *testing.T) {
		before := adminEvents(t)
		wantProblem(t, "outsider GET", outsider.Do("GET", "/api/projects", nil, in, why), http.StatusNotFound, "tenant_not_found")
		wantProblem(t, "outsider POST", outsider.Do("POST", "/api/projects", map[string]string{"name": "intruder"}, in, why), http.StatusNotFound, "tenant_not_found")
		// A tenant that does not exist answers the same, to the admin too.
		wantProblem(t, "admin, no such tenant", root.Do("GET", "/api/projects", nil, xTenant("00000000-0000-4000-8000-000000000000"), why), http.StatusNotFound, "tenant_not_found")
		// A slug resolves for members only.
		wantProblem(t, "admin, by slug", root.Do("GET", "/api/projects", nil, xTenant(acme.Slug), why), http.StatusNotFound, "tenant_not_found")
		if diff := cmp.Diff(before, adminEvents(t)); diff != "" {
			t.Errorf("events (-before +after):\n%s", diff)
		}
		if slices.Contains(projectNames(t), "intruder") {
			t.Error("the outsider's project was created")
		}
	})

	t.Run("a member with the header acts as a member", func(t *testing.T) {
		before := adminEvents(t)
		owner.Must(http.StatusOK, "GET", "/api/projects", nil, in, why)
		if diff := cmp.Diff(before, adminEvents(t)); diff != "" {
			t.Errorf("events (-before +after):\n%s", diff)
		}
	})

	t.Run("an empty reason", func(t *testing.T) {
		for _, who := range []apptest.User{root, outsider} {
			wantProblem(t, "empty X-Admin-Reason", who.Do("GET", "/api/projects", nil, in, adminReason("")), http.StatusBadRequest, "admin_reason_required")
			wantProblem(t, "blank X-Admin-Reason", who.Do("GET", "/api/projects", nil, in, adminReason("   ")), http.StatusBadRequest, "admin_reason_required")
		}
	})

	t.Run("a revoked admin", func(t *testing.T) {
		if _, _, err := e.App.Identity.RevokePlatformAdmin(t.Context(), root.Email); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, "after the revoke", root.Do("GET", "/api/projects", nil, in, why), http.StatusNotFound, "tenant_not_found")
	})
}

// adminUser is a user as /api/admin/users shows them.
type adminUser struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	Name          string `json:"name"`
	CreatedAt     string `json:"created_at"`
	Disabled      bool   `json:"disabled"`
	EmailVerified bool   `json:"email_verified"`
	PlatformAdmin bool   `json:"platform_admin"`
}

// TestAdminRoutes (issue 10): /api/admin answers platform admins only;
// anyone else, signed in or not, gets an unknown route's 404 for every
// path and method under it. Admins search tenants and users a page at a
// time, and disable (ending every session at once) and enable users.
func TestAdminRoutes(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	root, user := e.Signup("root"), e.Signup("plain user")
	grantPlatformAdmin(t, e, root)
	tag := strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))[:8] + "-" + root.ID[:6] // this test's rows only
	var tenants []apptest.Tenant
	for _, name := range []string{"Alpha", "Beta", "Gamma"} {
		tenants = append(tenants, user.CreateTenant(tag+" "+name))
	}

	t.Run("not discoverable", func(t *testing.T) {
		anonymous := e.Client()
		for _, c := range []*apptest.Client{user.Client, anonymous} {
			for _, req := range [][2]string{
				{"GET", "/api/admin/tenants"}, {"GET", "/api/admin/users?q=x"},
				{"POST", "/api/admin/users/" + user.ID + "/disable"}, {"POST", "/api/admin/users/" + user.ID + "/enable"},
				{"DELETE", "/api/admin/users"}, {"GET", "/api/admin/nothing-here"}, {"GET", "/api/admin"},
			} {
				wantProblem(t, req[0]+" "+req[1], c.Do(req[0], req[1], nil), http.StatusNotFound, "not_found")
			}
		}
		user.Must(http.StatusOK, "GET", "/api/me", nil) // not disabled by the refused request
		// The admin's answer to an unknown path under /api/admin is the same.
		wantProblem(t, "admin, unknown path", root.Do("GET", "/api/admin/nothing-here", nil), http.StatusNotFound, "not_found")
	})

	t.Run("tenants", func(t *testing.T) {
		var page struct {
			Tenants []struct {
				ID      string `json:"id"`
				Slug    string `json:"slug"`
				Members int    `json:"members"`
			} `json:"tenants"`
			NextCursor string `json:"next_cursor"`
		}
		root.Must(http.StatusOK, "GET", "/api/admin/tenants?q="+url.QueryEscape(strings.ToUpper(tag)), nil).Decode(t, &page)
		var got []string
		for _, tn := range page.Tenants {
			got = append(got, tn.ID)
			if tn.Members != 1 {
				t.Errorf("tenant %s: %d members, want 1", tn.Slug, tn.Members)
			}
		}
		if diff := cmp.Diff([]string{tenants[2].ID, tenants[1].ID, tenants[0].ID}, got); diff != "" {
			t.Errorf("tenants, newest first (-want +got):\n%s", diff)
		}
		var paged []string
		query := "?limit=2&q=" + url.QueryEscape(tag)
		for range 3 {
			page.Tenants, page.NextCursor = nil, ""
			root.Must(http.StatusOK, "GET", "/api/admin/tenants"+query, nil).Decode(t, &page)
			for _, tn := range page.Tenants {
				paged = append(paged, tn.ID)
			}
			if page.NextCursor == "" {
				break
			}
			query = "?limit=2&q=" + url.QueryEscape(tag) + "&cursor=" + page.NextCursor
		}
		if diff := cmp.Diff(got, paged); diff != "" {
			t.Errorf("paged (-one page +pages):\n%s", diff)
		}
		for query, code := range map[string]string{
			"?q=" + strings.Repeat("x", 201): "invalid_query",
			"?limit=0":                       "invalid_limit",
			"?cursor=nope":                   "invalid_cursor",
		} {
			wantProblem(t, "GET /api/admin/tenants"+query[:min(len(query), 20)], root.Do("GET", "/api/admin/tenants"+query, nil), http.StatusBadRequest, code)
		}
	})

	t.Run("users, disable, enable", func(t *testing.T) {
		victim := e.Signup("victim " + tag)
		other := e.Client() // the victim's second browser
		other.Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": victim.Email, "password": apptest.Password})
		find := func(t *testing.T) adminUser {
			t.Helper()
			var page struct {
				Users []adminUser `json:"users"`
			}
			root.Must(http.StatusOK, "GET", "/api/admin/users?q="+url.QueryEscape(strings.ToUpper(victim.Email)), nil).Decode(t, &page)
			if len(page.Users) != 1 || page.Users[0].ID != victim.ID {
				t.Fatalf("search by email: %+v", page.Users)
			}
			return page.Users[0]
		}
		if u := find(t); u.Disabled || u.PlatformAdmin || !u.EmailVerified || u.Email != victim.Email {
			t.Errorf("before: %+v", u)
		}

		root.Must(http.StatusNoContent, "POST", "/api/admin/users/"+victim.ID+"/disable", nil)
		for name, c := range map[string]*apptest.Client{"this browser": victim.Client, "another browser": other} {
			wantProblem(t, "disabled user, "+name, c.Do("GET", "/api/me", nil), http.StatusUnauthorized, "unauthenticated")
		}
		wantProblem(t, "disabled user's login", e.Client().Do("POST", "/api/auth/login", map[string]string{"email": victim.Email, "password": apptest.Password}),
			http.StatusUnauthorized, "invalid_credentials")
		if !find(t).Disabled {
			t.Error("the search does not show the user disabled")
		}
		root.Must(http.StatusNoContent, "POST", "/api/admin/users/"+victim.ID+"/disable", nil) // again: no-op

		root.Must(http.StatusNoContent, "POST", "/api/admin/users/"+victim.ID+"/enable", nil)
		if find(t).Disabled {
			t.Error("the search shows the enabled user disabled")
		}
		wantProblem(t, "enabled user's old session", victim.Do("GET", "/api/me", nil), http.StatusUnauthorized, "unauthenticated")
		again := e.Client()
		again.Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": victim.Email, "password": apptest.Password})
		var events struct {
			Events []struct {
				Kind      string `json:"kind"`
				RequestID string `json:"request_id"`
			} `json:"events"`
		}
		again.Must(http.StatusOK, "GET", "/api/me/security-events", nil).Decode(t, &events)
		var kinds []string
		for _, ev := range events.Events {
			if strings.HasPrefix(ev.Kind, "account_") {
				kinds = append(kinds, ev.Kind)
			}
		}
		if diff := cmp.Diff([]string{"account_enabled", "account_disabled"}, kinds); diff != "" {
			t.Errorf("the user's security events (-want +got):\n%s", diff)
		}

		for _, id := range []string{"00000000-0000-4000-8000-000000000000", "not-a-uuid"} {
			wantProblem(t, "disable "+id, root.Do("POST", "/api/admin/users/"+id+"/disable", nil), http.StatusNotFound, "not_found")
			wantProblem(t, "enable "+id, root.Do("POST", "/api/admin/users/"+id+"/enable", nil), http.StatusNotFound, "not_found")
		}
	})

	t.Run("a revoked admin", func(t *testing.T) {
		if _, _, err := e.App.Identity.RevokePlatformAdmin(t.Context(), root.Email); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, "after the revoke", root.Do("GET", "/api/admin/users", nil), http.StatusNotFound, "not_found")
	})
}
