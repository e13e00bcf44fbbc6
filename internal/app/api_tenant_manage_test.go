package app_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/identity"
)

// currentTenant is the body of GET /api/tenant.
type currentTenant struct {
	Tenant struct {
		ID   string `json:"id"`
		Slug string `json:"slug"`
		Name string `json:"name"`
	} `json:"tenant"`
	Role string `json:"role"`
}

// TestTenantSettings (issue 10): GET and PATCH /api/tenant, a slug change
// and the old slug, slug_taken, validation, the owner-only rule, the
// tenant.renamed event, and another tenant's members.
func TestTenantSettings(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	owner := e.Signup("owner")
	acme := owner.CreateTenant("Acme")
	in := apptest.InTenant(acme)
	admin, viewer := e.Signup("admin"), e.Signup("viewer")
	e.AddMember(acme, admin, identity.RoleAdmin)
	e.AddMember(acme, viewer, identity.RoleViewer)
	other := e.Signup("other")
	globex := other.CreateTenant("Globex")

	expect := func(t *testing.T, u apptest.User, status int, code, method, path string, body any, h ...apptest.Header) {
		t.Helper()
		r := u.Do(method, path, body, h...)
		if r.Status != status || (code != "" && r.Code(t) != code) {
			t.Errorf("%s %s %v: %d %s, want %d %s", method, path, h, r.Status, r.Body, status, code)
		}
	}
	get := func(t *testing.T, u apptest.User, h ...apptest.Header) currentTenant {
		t.Helper()
		var got currentTenant
		u.Must(http.StatusOK, "GET", "/api/tenant", nil, h...).Decode(t, &got)
		return got
	}

	t.Run("get", func(t *testing.T) {
		var want currentTenant
		want.Tenant.ID, want.Tenant.Slug, want.Tenant.Name, want.Role = acme.ID, acme.Slug, "Acme", "viewer"
		if diff := cmp.Diff(want, get(t, viewer, in)); diff != "" {
			t.Errorf("GET /api/tenant as the viewer (-want +got):\n%s", diff)
		}
		if got := get(t, owner, xTenant(acme.Slug)); got.Role != "owner" || got.Tenant.ID != acme.ID {
			t.Errorf("GET /api/tenant as the owner: %+v", got)
		}
		var byPath currentTenant
		admin.Must(http.StatusOK, "GET", "/api/t/"+acme.ID+"/tenant", nil).Decode(t, &byPath)
		if byPath.Tenant.ID != acme.ID || byPath.Role != "admin" {
			t.Errorf("GET /api/t/{tenant}/tenant as the admin: %+v", byPath)
		}
	})

	t.Run("rename", func(t *testing.T) {
		r := owner.Must(http.StatusOK, "PATCH", "/api/tenant", map[string]string{"name": "  Acme Corp  "}, in).JSON(t)
		tn := r["tenant"].(map[string]any)
		if tn["id"] != acme.ID || tn["slug"] != acme.Slug || tn["name"] != "Acme Corp" {
			t.Errorf("renamed: %v", tn)
		}
		ev := auditEvents(t, owner, acme, "?action=tenant.renamed&limit=1").Events
		if len(ev) != 1 || ev[0].Target != acme.ID || ev[0].Actor == nil || *ev[0].Actor != owner.ID {
			t.Fatalf("tenant.renamed events: %+v", ev)
		}
		want := map[string]any{
			"from": map[string]any{"name": "Acme", "slug": acme.Slug},
			"to":   map[string]any{"name": "Acme Corp", "slug": acme.Slug},
		}
		if diff := cmp.Diff(want, ev[0].Detail); diff != "" {
			t.Errorf("tenant.renamed detail (-want +got):\n%s", diff)
		}
		// The same name again changes nothing and records nothing.
		owner.Must(http.StatusOK, "PATCH", "/api/tenant", map[string]string{"name": "Acme Corp"}, in)
		if got := auditEvents(t, owner, acme, "?action=tenant.renamed").Events; len(got) != 1 {
			t.Errorf("%d tenant.renamed events after a no-op, want 1", len(got))
		}
	})

	t.Run("slug change", func(t *testing.T) {
		oldSlug, newSlug := acme.Slug, "acme-new-"+acme.ID[:8]
		r := owner.Must(http.StatusOK, "PATCH", "/api/t/"+oldSlug+"/tenant", map[string]string{"slug": newSlug}).JSON(t)
		if tn := r["tenant"].(map[string]any); tn["id"] != acme.ID || tn["slug"] != newSlug || tn["name"] != "Acme Corp" {
			t.Errorf("after the slug change: %v", tn)
		}
		for _, u := range []apptest.User{owner, viewer} {
			expect(t, u, 404, "tenant_not_found", "GET", "/api/tenant", nil, xTenant(oldSlug))
			expect(t, u, 404, "tenant_not_found", "GET", "/api/t/"+oldSlug+"/members", nil)
			if got := get(t, u, xTenant(newSlug)); got.Tenant.ID != acme.ID || got.Tenant.Slug != newSlug {
				t.Errorf("by the new slug: %+v", got)
			}
		}
		ev := auditEvents(t, owner, acme, "?action=tenant.renamed&limit=1").Events
		if len(ev) != 1 || !cmp.Equal(ev[0].Detail["from"], map[string]any{"name": "Acme Corp", "slug": oldSlug}) ||
			!cmp.Equal(ev[0].Detail["to"], map[string]any{"name": "Acme Corp", "slug": newSlug}) {
			t.Errorf("tenant.renamed for the slug change: %+v", ev)
		}
		// The old slug is free again.
		expect(t, other, 409, "slug_taken", "PATCH", "/api/tenant", map[string]string{"slug": newSlug}, apptest.InTenant(globex))
		other.Must(http.StatusOK, "PATCH", "/api/tenant", map[string]string{"slug": oldSlug}, apptest.InTenant(globex))
		if got := get(t, other, xTenant(oldSlug)); got.Tenant.ID != globex.ID {
			t.Errorf("the old slug, taken by Globex, names %+v", got)
		}
	})

	t.Run("slug taken", func(t *testing.T) {
		before := get(t, owner, in)
		taken := get(t, other, apptest.InTenant(globex)).Tenant.Slug
		r := owner.Do("PATCH", "/api/tenant", map[string]string{"name": "Taken", "slug": taken}, in)
		if r.Status != http.StatusConflict || r.Code(t) != "slug_taken" {
			t.Errorf("got %d %s, want 409 slug_taken", r.Status, r.Body)
		}
		if after := get(t, owner, in); after != before {
			t.Errorf("a refused PATCH changed the tenant: %+v, was %+v", after, before)
		}
	})

	t.Run("validation", func(t *testing.T) {
		for _, body := range []any{
			map[string]any{},
			map[string]any{"name": ""},
			map[string]any{"name": nil},
			map[string]any{"slug": nil},
			map[string]any{"slug": "UPPER"},
			map[string]any{"slug": "admin"},
			map[string]any{"slug": acme.ID},
			map[string]any{"name": "ok", "slug": "-dash"},
		} {
			expect(t, owner, 400, "invalid_request", "PATCH", "/api/tenant", body, in)
		}
		expect(t, owner, 400, "invalid_json", "PATCH", "/api/tenant", map[string]any{"name": "x", "owner": "me"}, in)
	})

	t.Run("owners only", func(t *testing.T) {
		before := get(t, owner, in)
		for _, u := range []apptest.User{admin, viewer} {
			expect(t, u, 403, "forbidden", "PATCH", "/api/tenant", map[string]string{"name": "Mine"}, in)
		}
		if after := get(t, owner, in); after != before {
			t.Errorf("a refused PATCH changed the tenant: %+v, was %+v", after, before)
		}
	})

	t.Run("as another tenant", func(t *testing.T) {
		before := get(t, owner, in)
		for _, h := range []apptest.Header{in, xTenant(before.Tenant.Slug)} {
			expect(t, other, 404, "tenant_not_found", "GET", "/api/tenant", nil, h)
			expect(t, other, 404, "tenant_not_found", "PATCH", "/api/tenant", map[string]string{"name": "Pwned"}, h)
		}
		expect(t, other, 404, "tenant_not_found", "PATCH", "/api/t/"+acme.ID+"/tenant", map[string]string{"name": "Pwned"})
		if after := get(t, owner, in); after != before {
			t.Errorf("another tenant's owner changed the tenant: %+v, was %+v", after, before)
		}
		// Globex's own GET shows Globex, never Acme.
		if got := get(t, other, apptest.InTenant(globex)); got.Tenant.ID != globex.ID || got.Role != "owner" {
			t.Errorf("Globex's owner in Globex: %+v", got)
		}
	})
}

// TestTenantTransfer (issue 10): the owner makes a member an owner and
// steps down to admin in one transaction; the rank rules, the target
// rules, the tenant.transferred event, and another tenant's members.
func TestTenantTransfer(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	owner := e.Signup("owner")
	acme := owner.CreateTenant("Acme")
	in := apptest.InTenant(acme)
	admin, member := e.Signup("admin"), e.Signup("member")
	e.AddMember(acme, admin, identity.RoleAdmin)
	e.AddMember(acme, member, identity.RoleMember)
	other := e.Signup("other")
	globex := other.CreateTenant("Globex")

	expect := func(t *testing.T, u apptest.User, status int, code string, body any, h apptest.Header) {
		t.Helper()
		r := u.Do("POST", "/api/tenant/transfer", body, h)
		if r.Status != status || r.Code(t) != code {
			t.Errorf("transfer %v as %s: %d %s, want %d %s", body, u.Email, r.Status, r.Body, status, code)
		}
	}
	to := func(id string) map[string]string { return map[string]string{"user_id": id} }
	wantRoles := func(t *testing.T, want map[string]string) {
		t.Helper()
		if diff := cmp.Diff(want, memberRoles(t, admin, acme)); diff != "" {
			t.Errorf("roles (-want +got):\n%s", diff)
		}
	}
	start := map[string]string{owner.ID: "owner", admin.ID: "admin", member.ID: "member"}

	t.Run("refused", func(t *testing.T) {
		expect(t, owner, 422, "transfer_to_self", to(owner.ID), in)
		expect(t, owner, 404, "member_not_found", to(other.ID), in)
		expect(t, owner, 404, "member_not_found", to("not-a-uuid"), in)
		expect(t, owner, 400, "invalid_request", map[string]string{"user_id": ""}, in)
		expect(t, admin, 403, "forbidden", to(admin.ID), in)
		expect(t, admin, 403, "forbidden", to(member.ID), in)
		expect(t, member, 403, "forbidden", to(member.ID), in)
		disabled := e.Signup("disabled")
		e.AddMember(acme, disabled, identity.RoleMember)
		if err := e.App.Identity.DisableUser(t.Context(), mustUUID(t, disabled.ID)); err != nil {
			t.Fatal(err)
		}
		expect(t, owner, 404, "member_not_found", to(disabled.ID), in)
		wantRoles(t, start)
		if got := auditEvents(t, owner, acme, "?action=tenant.transferred").Events; len(got) != 0 {
			t.Errorf("refused transfers recorded %+v", got)
		}
	})

	t.Run("as another tenant", func(t *testing.T) {
		// Globex's owner names Acme: no such tenant for them.
		expect(t, other, 404, "tenant_not_found", to(other.ID), in)
		expect(t, other, 404, "tenant_not_found", to(member.ID), xTenant(acme.Slug))
		// In Globex, Acme's member is no member.
		expect(t, other, 404, "member_not_found", to(member.ID), apptest.InTenant(globex))
		wantRoles(t, start)
	})

	t.Run("transfer", func(t *testing.T) {
		owner.Must(http.StatusNoContent, "POST", "/api/tenant/transfer", to(member.ID), in)
		wantRoles(t, map[string]string{owner.ID: "admin", admin.ID: "admin", member.ID: "owner"})
		ev := auditEvents(t, member, acme, "?action=tenant.transferred").Events
		if len(ev) != 1 || ev[0].Target != member.ID || ev[0].Actor == nil || *ev[0].Actor != owner.ID || ev[0].RequestID == "" {
			t.Fatalf("tenant.transferred events: %+v", ev)
		}
		if diff := cmp.Diff(map[string]any{"from": "member", "to": "owner", "previous_owner_role": "admin"}, ev[0].Detail); diff != "" {
			t.Errorf("tenant.transferred detail (-want +got):\n%s", diff)
		}
		// The former owner is an admin now, in the next request already.
		if got := owner.Must(http.StatusOK, "GET", "/api/tenant", nil, in).JSON(t)["role"]; got != "admin" {
			t.Errorf("the former owner's role: %v", got)
		}
		expect(t, owner, 403, "forbidden", to(owner.ID), in)
		r := owner.Do("PATCH", "/api/tenant", map[string]string{"name": "Mine"}, in)
		if r.Status != http.StatusForbidden || r.Code(t) != "forbidden" {
			t.Errorf("the former owner renames: %d %s", r.Status, r.Body)
		}
		// And back, to an admin.
		member.Must(http.StatusNoContent, "POST", "/api/tenant/transfer", to(owner.ID), in)
		wantRoles(t, map[string]string{owner.ID: "owner", admin.ID: "admin", member.ID: "admin"})
	})
}
