package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

func TestTenants(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T, e *apptest.Env) {
		alice, bob := e.Signup("alice"), e.Signup("bob")
		a := alice.CreateTenant("Acme")
		b := bob.CreateTenant("Beta")

		t.Run("slug taken", func(t *testing.T) {
			r := bob.Do("POST", "/api/tenants", map[string]string{"name": "Again", "slug": a.Slug})
			if r.Status != http.StatusConflict || r.Code(t) != "slug_taken" {
				t.Errorf("got %d %s, want 409 slug_taken", r.Status, r.Body)
			}
		})
		t.Run("bad slug", func(t *testing.T) {
			for _, slug := range []string{"", "UPPER", "-dash", "a_b", strings.Repeat("a", 64), uuid.NewString()} {
				r := bob.Do("POST", "/api/tenants", map[string]string{"name": "X", "slug": slug})
				if r.Status != http.StatusBadRequest || r.Code(t) != "invalid_request" {
					t.Errorf("slug %q: got %d %s, want 400 invalid_request", slug, r.Status, r.Body)
				}
			}
		})
		t.Run("list shows only own tenants with role", func(t *testing.T) {
			list := alice.Must(http.StatusOK, "GET", "/api/tenants", nil).JSON(t)["tenants"].([]any)
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
				r := alice.Do("PUT", "/api/me/tenant", map[string]string{"tenant": ref})
				if r.Status != http.StatusNotFound || r.Code(t) != "tenant_not_found" {
					t.Errorf("switch to %q: got %d %s, want 404 tenant_not_found", ref, r.Status, r.Body)
				}
			}
		})
		t.Run("members", func(t *testing.T) {
			list := alice.Must(http.StatusOK, "GET", "/api/members", nil, xTenant(a.Slug)).JSON(t)["members"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["user_id"] != alice.ID || list[0].(map[string]any)["role"] != "owner" {
				t.Errorf("members = %v", list)
			}
			// As another tenant: bob names A every way he can.
			for _, req := range []struct {
				path string
				h    []apptest.Header
			}{
				{"/api/members", []apptest.Header{xTenant(a.ID)}},
				{"/api/members", []apptest.Header{xTenant(a.Slug)}},
				{"/api/t/" + a.Slug + "/members", nil},
				{"/api/t/" + a.ID + "/members", nil},
			} {
				r := bob.Do("GET", req.path, nil, req.h...)
				if r.Status != http.StatusNotFound || r.Code(t) != "tenant_not_found" {
					t.Errorf("bob GET %s %v: %d %s, want 404 tenant_not_found", req.path, req.h, r.Status, r.Body)
				}
			}
		})
		t.Run("no tenant", func(t *testing.T) {
			c := e.Signup("tenantless")
			r := c.Do("GET", "/api/members", nil)
			if r.Status != http.StatusBadRequest || r.Code(t) != "tenant_required" {
				t.Errorf("got %d %s, want 400 tenant_required", r.Status, r.Body)
			}
		})
		t.Run("removed member is refused on the next request", func(t *testing.T) {
			carol := e.Signup("carol")
			if err := e.App.Identity.AddMember(t.Context(), mustUUID(t, a.ID), mustUUID(t, carol.ID), "member"); err != nil {
				t.Fatal(err)
			}
			carol.Must(http.StatusOK, "GET", "/api/projects", nil, xTenant(a.Slug))
			if err := e.App.Identity.RemoveMember(t.Context(), mustUUID(t, a.ID), mustUUID(t, carol.ID)); err != nil {
				t.Fatal(err)
			}
			if r := carol.Do("GET", "/api/projects", nil, xTenant(a.Slug)); r.Status != http.StatusNotFound {
				t.Errorf("removed member: %d, want 404", r.Status)
			}
		})
	})
}

func TestHealth(t *testing.T) {
	e := apptest.New(t, apptest.Options{Store: "redis"})
	c := e.Client()
	c.Must(http.StatusOK, "GET", "/healthz", nil)
	// Postgres always, and the session store when it is not Postgres.
	r := c.Must(http.StatusOK, "GET", "/readyz", nil).JSON(t)
	if fmt.Sprint(r["checks"]) != "map[postgres:ok redis:ok]" {
		t.Errorf("readyz = %v", r)
	}
	c.Must(http.StatusOK, "GET", "/api/openapi.yaml", nil)
	if r := c.Do("GET", "/no/such/route", nil); r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
		t.Errorf("unknown route: %d %s", r.Status, r.Body)
	}
	if r := c.Do("PUT", "/healthz", nil); r.Status != http.StatusMethodNotAllowed || r.Code(t) != "method_not_allowed" {
		t.Errorf("wrong method: %d %s", r.Status, r.Body)
	}
}

// TestPathSourceDisabled: without "path" in the sources the /api/t/{tenant}
// routes do not exist, rather than being silently ignored.
func TestPathSourceDisabled(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	e.Rebuild(func(c *app.Config) { c.TenantSources = []tenancy.Source{tenancy.SourceHeader, tenancy.SourceSession} })
	u := e.Signup("nopath")
	a := u.CreateTenant("Nopath")
	if r := u.Do("GET", "/api/t/"+a.Slug+"/projects", nil); r.Status != http.StatusNotFound || r.Code(t) != "not_found" {
		t.Errorf("got %d %s, want 404 not_found", r.Status, r.Body)
	}
	u.Must(http.StatusOK, "GET", "/api/projects", nil, xTenant(a.Slug))
}
