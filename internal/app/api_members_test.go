package app_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/identity"
)

// TestMemberManagement (issue 10): role changes, removal and leaving, the
// rank rules, the last owner, and the audit events each writes.
func TestMemberManagement(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	owner := e.Signup("owner")
	acme := owner.CreateTenant("Acme")
	in := apptest.InTenant(acme)
	admin, member := e.Signup("admin"), e.Signup("member")
	e.AddMember(acme, admin, identity.RoleAdmin)
	e.AddMember(acme, member, identity.RoleMember)

	expect := func(t *testing.T, u apptest.User, status int, code, method, path string, body any) {
		t.Helper()
		r := u.Do(method, path, body, in)
		if r.Status != status || (code != "" && r.Code(t) != code) {
			t.Errorf("%s %s: %d %s, want %d %s", method, path, r.Status, r.Body, status, code)
		}
	}
	role := func(r string) map[string]string { return map[string]string{"role": r} }

	t.Run("self-escalation", func(t *testing.T) {
		expect(t, member, 403, "forbidden", "PATCH", "/api/members/"+member.ID, role("admin"))
		expect(t, admin, 403, "forbidden", "PATCH", "/api/members/"+admin.ID, role("owner"))
		expect(t, admin, 403, "forbidden", "PATCH", "/api/members/"+member.ID, role("admin"))
		expect(t, admin, 403, "forbidden", "PATCH", "/api/members/"+owner.ID, role("member"))
		expect(t, admin, 403, "forbidden", "DELETE", "/api/members/"+owner.ID, nil)
		if diff := cmp.Diff(map[string]string{owner.ID: "owner", admin.ID: "admin", member.ID: "member"}, memberRoles(t, owner, acme)); diff != "" {
			t.Errorf("roles (-want +got):\n%s", diff)
		}
	})

	t.Run("last owner", func(t *testing.T) {
		expect(t, owner, 409, "last_owner", "PATCH", "/api/members/"+owner.ID, role("admin"))
		expect(t, owner, 409, "last_owner", "DELETE", "/api/members/"+owner.ID, nil)
		expect(t, owner, 409, "last_owner", "POST", "/api/members/leave", nil)
	})

	t.Run("two owners demote each other at once", func(t *testing.T) {
		second := e.Signup("second")
		e.AddMember(acme, second, identity.RoleOwner)
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, pair := range [][2]apptest.User{{owner, second}, {second, owner}} {
			wg.Go(func() {
				statuses[i] = pair[0].Do("PATCH", "/api/members/"+pair[1].ID, role("admin"), in).Status
			})
		}
		wg.Wait()
		roles := memberRoles(t, admin, acme)
		owners := 0
		for _, r := range roles {
			if r == "owner" {
				owners++
			}
		}
		if owners != 1 {
			t.Fatalf("statuses %v left %d owners: %v", statuses, owners, roles)
		}
		// Put the first owner back as the only owner.
		if roles[owner.ID] != "owner" {
			second.Must(http.StatusNoContent, "PATCH", "/api/members/"+owner.ID, role("owner"), in)
			owner.Must(http.StatusNoContent, "PATCH", "/api/members/"+second.ID, role("admin"), in)
		}
		owner.Must(http.StatusNoContent, "DELETE", "/api/members/"+second.ID, nil, in)
	})

	t.Run("changes, removal and the audit log", func(t *testing.T) {
		viewer := e.Signup("viewer")
		e.AddMember(acme, viewer, identity.RoleViewer)
		admin.Must(http.StatusNoContent, "PATCH", "/api/members/"+viewer.ID, role("member"), in)
		viewer.Must(http.StatusOK, "GET", "/api/projects", nil, in)
		admin.Must(http.StatusNoContent, "DELETE", "/api/members/"+viewer.ID, nil, in)
		// The removed member's next request in the tenant.
		r := viewer.Do("GET", "/api/projects", nil, in)
		if r.Status != http.StatusNotFound || r.Code(t) != "tenant_not_found" {
			t.Errorf("after removal: %d %s, want 404 tenant_not_found", r.Status, r.Body)
		}
		expect(t, admin, 404, "member_not_found", "DELETE", "/api/members/"+viewer.ID, nil)
		expect(t, admin, 404, "member_not_found", "PATCH", "/api/members/not-a-uuid", role("member"))
		expect(t, admin, 400, "", "PATCH", "/api/members/"+member.ID, role("superuser"))

		member.Must(http.StatusNoContent, "POST", "/api/members/leave", nil, in)
		expect(t, member, 404, "tenant_not_found", "GET", "/api/members", nil)

		got := actions(auditEvents(t, owner, acme, "?action=member.role_changed").Events)
		if len(got) == 0 || got[0] != [2]string{"member.role_changed", viewer.ID} {
			t.Errorf("member.role_changed events: %v", got)
		}
		events := auditEvents(t, owner, acme, "?limit=2").Events
		want := [][2]string{{"member.left", member.ID}, {"member.removed", viewer.ID}}
		if diff := cmp.Diff(want, actions(events)); diff != "" {
			t.Errorf("newest events (-want +got):\n%s", diff)
		}
		if ev := events[1]; ev.Actor == nil || *ev.Actor != admin.ID || ev.RequestID == "" || ev.Detail["role"] != "member" {
			t.Errorf("member.removed: %+v", ev)
		}
	})

	t.Run("as another tenant", func(t *testing.T) {
		other := e.Signup("other")
		globex := other.CreateTenant("Globex")
		// Acme's admin is nobody in Globex, and Globex's owner cannot reach
		// Acme's members.
		r := admin.Do("DELETE", "/api/members/"+other.ID, nil, apptest.InTenant(globex))
		if r.Status != http.StatusNotFound || r.Code(t) != "tenant_not_found" {
			t.Errorf("as a non-member: %d %s", r.Status, r.Body)
		}
		r = other.Do("DELETE", "/api/members/"+admin.ID, nil, apptest.InTenant(globex))
		if r.Status != http.StatusNotFound || r.Code(t) != "member_not_found" {
			t.Errorf("another tenant's member: %d %s", r.Status, r.Body)
		}
		if _, ok := memberRoles(t, owner, acme)[admin.ID]; !ok {
			t.Error("Acme's admin was removed")
		}
	})
}
