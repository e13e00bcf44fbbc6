package database_test

import (
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

func TestRolesFor(t *testing.T) {
	tests := []struct {
		prefix  string
		want    database.Roles
		wantErr string
	}{
		{"tenantkit", database.MigrationRoles, ""},
		{"acme_staging", database.Roles{App: "acme_staging_app", Tenant: "acme_staging_tenant"}, ""},
		{"", database.Roles{}, "empty"},
		{"Acme", database.Roles{}, "lower-case identifier"},
		{"acme-prod", database.Roles{}, "lower-case identifier"},
		{`a"; DROP ROLE x; --`, database.Roles{}, "lower-case identifier"},
		{"1acme", database.Roles{}, "lower-case identifier"},
		{strings.Repeat("a", 57), database.Roles{}, "longer than 56"},
	}
	for _, tt := range tests {
		got, err := database.RolesFor(tt.prefix)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("RolesFor(%q): got %v, want an error containing %q", tt.prefix, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("RolesFor(%q) = %+v, %v; want %+v", tt.prefix, got, err, tt.want)
		}
	}
}

func TestDefaultRolePrefix(t *testing.T) {
	tests := []struct{ url, want, wantErr string }{
		{"postgres://app@db:5432/tenantkit?sslmode=disable", "tenantkit", ""},
		{"postgres://app@db/acme_prod", "acme_prod", ""},
		{"host=db user=app dbname=acme_staging", "acme_staging", ""},
		{"postgres://acme@db", "acme", ""}, // no database: Postgres connects to the user's name
		{"postgres://app@db/Acme-Prod", "", "set the prefix explicitly"},
		{"postgres://app@db:notaport/x", "", "invalid connection string"},
	}
	for _, tt := range tests {
		got, err := database.DefaultRolePrefix(tt.url)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("DefaultRolePrefix(%q): got %q, %v; want an error containing %q", tt.url, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("DefaultRolePrefix(%q) = %q, %v; want %q", tt.url, got, err, tt.want)
		}
	}
}

func TestRolesRewrite(t *testing.T) {
	r := database.Roles{App: "acme_app", Tenant: "acme_tenant"}
	tests := []struct{ in, want string }{
		{"GRANT SELECT ON users TO tenantkit_app;", "GRANT SELECT ON users TO acme_app;"},
		{"GRANT USAGE ON SCHEMA app TO tenantkit_app, tenantkit_tenant;", "GRANT USAGE ON SCHEMA app TO acme_app, acme_tenant;"},
		{"pg_has_role('tenantkit_app', 'tenantkit_tenant', 'MEMBER')", "pg_has_role('acme_app', 'acme_tenant', 'MEMBER')"},
		// Whole names only: other identifiers that start the same stay.
		{"CREATE TABLE tenantkit_tenants (tenantkit_app_id int); -- tenantkit:readonly", "CREATE TABLE tenantkit_tenants (tenantkit_app_id int); -- tenantkit:readonly"},
		{"x_tenantkit_app", "x_tenantkit_app"},
	}
	for _, tt := range tests {
		if got := r.Rewrite(tt.in); got != tt.want {
			t.Errorf("Rewrite(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := database.MigrationRoles.Rewrite(tt.in); got != tt.in {
			t.Errorf("MigrationRoles.Rewrite(%q) = %q, want it unchanged", tt.in, got)
		}
	}
}

// TestLoginRoleNamedLikeAGroup: a login role may not take a group role's
// name (it would have to be its own member); migrate up says so.
func TestLoginRoleNamedLikeAGroup(t *testing.T) {
	d := dbtest.New(t)
	for _, tt := range []struct {
		variable string
		ensure   func(url string) error
	}{
		{"APP_DATABASE_URL", func(url string) error {
			_, err := database.EnsureRuntimeRole(t.Context(), d.Owner, url, dbtest.Roles)
			return err
		}},
		{"TENANT_DATABASE_URL", func(url string) error {
			_, err := database.EnsureTenantRole(t.Context(), d.Owner, url, dbtest.Roles)
			return err
		}},
	} {
		for _, group := range []string{dbtest.Roles.App, dbtest.Roles.Tenant} {
			err := tt.ensure(withRole(t, d.OwnerURL, d.Name, group))
			if err == nil || !strings.Contains(err.Error(), tt.variable) || !strings.Contains(err.Error(), "group roles") {
				t.Errorf("%s user %s: got %v, want a refusal naming %s and the group roles", tt.variable, group, err, tt.variable)
			}
		}
	}
}
