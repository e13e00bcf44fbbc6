package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// TestForeignTenantCostsLikeMissing (issue 7, finding 5): a tenant that
// exists but is not the caller's must do exactly the database work of one
// that does not exist, so timing cannot tell them apart. Every SQL
// statement both pools run is recorded; a foreign and a missing tenant,
// named the same way, must run the same statements in the same order. A
// slug is resolved (with the membership check) before any tenant
// transaction, so neither begins one; an id goes straight to the tenant
// transaction, whose first round trip carries the membership check.
func TestForeignTenantCostsLikeMissing(t *testing.T) {
	d := dbtest.New(t)
	rec := &statementLog{}
	e := apptest.New(t, apptest.Options{
		Pool:       tracedPool(t, d.AppURL, rec, "app"),
		TenantPool: tracedPool(t, d.TenantURL, rec, "tenant"),
	})
	alice, bob := e.Signup("alice"), e.Signup("bob")
	a, b := alice.CreateTenant("Acme"), bob.CreateTenant("Bobco")

	// The caller's own tenant works, and warms every pooled connection up.
	for range 4 {
		alice.Must(http.StatusOK, "GET", "/api/projects", nil, xTenant(a.Slug))
		alice.Must(http.StatusOK, "GET", "/api/projects", nil, xTenant(a.ID))
	}

	run := func(name, path, ref string) []string {
		var headers []apptest.Header
		if ref != "" {
			headers = append(headers, xTenant(ref))
		}
		rec.reset()
		r := alice.Do("GET", path, nil, headers...)
		got := rec.take()
		if r.Status != http.StatusNotFound || r.Code(t) != "tenant_not_found" {
			t.Errorf("%s: got %d %s, want 404 tenant_not_found", name, r.Status, r.Body)
		}
		texts := make([]string, len(got))
		for i, s := range got {
			texts[i] = s.String()
		}
		if len(texts) == 0 {
			t.Fatalf("%s: no statement recorded; is the tracer wired?", name)
		}
		return texts
	}
	for _, kind := range []struct {
		name             string
		foreign, missing string
		tenantTx         bool
	}{
		{"slug", b.Slug, "no-such-" + uuid.NewString()[:8], false},
		{"id", b.ID, uuid.NewString(), true},
	} {
		for _, place := range []string{"X-Tenant", "path"} {
			request := func(ref string) (string, string) {
				if place == "path" {
					return "/api/t/" + ref + "/projects", ""
				}
				return "/api/projects", ref
			}
			name := place + " " + kind.name
			path, ref := request(kind.foreign)
			foreign := run("foreign "+name, path, ref)
			path, ref = request(kind.missing)
			missing := run("missing "+name, path, ref)
			if diff := cmp.Diff(foreign, missing); diff != "" {
				t.Errorf("a foreign and a missing %s run different statements (-foreign +missing):\n%s", name, diff)
			}
			if began := strings.Contains(strings.Join(foreign, "\n"), "tenant: "); began != kind.tenantTx {
				t.Errorf("%s: a tenant transaction ran: %v, want %v:\n%s", name, began, kind.tenantTx, strings.Join(foreign, "\n"))
			}
			t.Logf("a foreign or missing %s runs:\n%s", name, strings.Join(foreign, "\n"))
		}
	}
}
