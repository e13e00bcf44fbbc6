package db_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// querier is satisfied by a pool, a connection and a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// tenantRole is the role tenant transactions run as (tenancy.TenantRole).
const tenantRole = "tenantkit_tenant"

// auditRLS returns every violation of tenantkit's row-level security rules
// in the connected database, as seen for runtimeRole. It is the check a fork
// trips when it adds a tenant table without forced RLS and policies.
func auditRLS(ctx context.Context, q querier, runtimeRole string) ([]string, error) {
	checks := []struct {
		name string
		sql  string
	}{
		{"tenant table without RLS enabled", `
			SELECT c.oid::regclass::text FROM pg_class c
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND NOT c.relrowsecurity`},
		{"tenant table without RLS forced", `
			SELECT c.oid::regclass::text FROM pg_class c
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND NOT c.relforcerowsecurity`},
		// Every command must be covered by a policy with both a USING and a
		// WITH CHECK expression keyed on the transaction's tenant.
		{"tenant table without a USING + WITH CHECK policy on app.current_tenant_id()", `
			SELECT c.oid::regclass::text FROM pg_class c
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND NOT EXISTS (
				SELECT FROM pg_policy p
				WHERE p.polrelid = c.oid AND p.polcmd = '*' AND p.polpermissive
				  AND p.polqual IS NOT NULL AND p.polwithcheck IS NOT NULL
				  AND pg_get_expr(p.polqual, p.polrelid) LIKE '%app.current_tenant_id()%'
				  AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%app.current_tenant_id()%')`},
		// Permissive policies are OR-ed: one that applies to the tenant role
		// without keying on the tenant widens every tenant's view.
		{"policy for the tenant role not keyed on app.current_tenant_id()", `
			SELECT p.polrelid::regclass::text || '.' || p.polname FROM pg_policy p
			WHERE p.polpermissive
			  AND (0 = ANY (p.polroles) OR (SELECT oid FROM pg_roles WHERE rolname = 'tenantkit_tenant') = ANY (p.polroles))
			  AND (coalesce(pg_get_expr(p.polqual, p.polrelid), '') NOT LIKE '%app.current_tenant_id()%'
			       OR (p.polwithcheck IS NOT NULL AND pg_get_expr(p.polwithcheck, p.polrelid) NOT LIKE '%app.current_tenant_id()%'))`},
		{"tenant role can log in, is a superuser or has BYPASSRLS", `
			SELECT rolname FROM pg_roles WHERE rolname = 'tenantkit_tenant' AND (rolcanlogin OR rolsuper OR rolbypassrls)`},
		{"runtime role cannot switch to the tenant role, or inherits its rights", `
			SELECT r.rolname FROM pg_roles r, pg_roles t
			WHERE r.rolname = $1 AND t.rolname = 'tenantkit_tenant'
			  AND (NOT pg_has_role(r.oid, t.oid, 'MEMBER') OR pg_has_role(r.oid, t.oid, 'USAGE'))`},
		{"policy that treats an unset tenant as all tenants (OR ... IS NULL)", `
			SELECT p.polrelid::regclass::text || '.' || p.polname FROM pg_policy p
			WHERE pg_get_expr(p.polqual, p.polrelid) ILIKE '%is null%'
			   OR pg_get_expr(p.polwithcheck, p.polrelid) ILIKE '%is null%'`},
		{"runtime role is superuser or has BYPASSRLS", `
			SELECT rolname FROM pg_roles WHERE rolname = $1 AND (rolsuper OR rolbypassrls)`},
		{"table the runtime role owns or may act as owner of", `
			SELECT c.oid::regclass::text FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_roles r ON r.rolname = $1
			WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND pg_has_role(r.oid, c.relowner, 'MEMBER')`},
		{"table the runtime role may TRUNCATE", `
			SELECT c.oid::regclass::text FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND has_table_privilege($1, c.oid, 'TRUNCATE')`},
		{"tenant table the runtime role can use without switching to the tenant role", `
			SELECT c.oid::regclass::text FROM pg_class c
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND c.relname <> 'memberships' -- identity's, under its own RLS policies
			  AND has_any_column_privilege($1, c.oid, 'SELECT, INSERT, UPDATE')`},
		// The tenant role reaches tenant tables, the tenants directory and a
		// few user columns; never credentials, sessions or anything else.
		{"non-tenant table the tenant role can reach", `
			SELECT c.oid::regclass::text FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
			  AND (has_table_privilege('tenantkit_tenant', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
			       OR (has_any_column_privilege('tenantkit_tenant', c.oid, 'SELECT')
			           AND NOT (c.relrowsecurity AND c.oid IN ('public.tenants'::regclass, 'public.users'::regclass)))
			       OR (c.oid = 'public.users'::regclass AND EXISTS (
			           SELECT FROM pg_attribute u WHERE u.attrelid = c.oid AND u.attnum > 0 AND NOT u.attisdropped
			             AND u.attname NOT IN ('id', 'email', 'name', 'disabled_at')
			             AND has_column_privilege('tenantkit_tenant', c.oid, u.attnum, 'SELECT'))))`},
		{"view without security_invoker", `
			SELECT c.oid::regclass::text FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND NOT coalesce(c.reloptions && ARRAY['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false)`},
		{"user-defined LEAKPROOF function", `
			SELECT p.oid::regprocedure::text FROM pg_proc p
			JOIN pg_namespace n ON n.oid = p.pronamespace
			WHERE p.proleakproof AND n.nspname NOT IN ('pg_catalog', 'information_schema')`},
		{"SECURITY DEFINER function without a pinned search_path", `
			SELECT p.oid::regprocedure::text FROM pg_proc p
			JOIN pg_namespace n ON n.oid = p.pronamespace
			WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND NOT coalesce(array_to_string(p.proconfig, ',') LIKE '%search_path=%', false)`},
	}
	var violations []string
	for _, c := range checks {
		var args []any
		if slices.Contains([]string{"runtime role is superuser or has BYPASSRLS", "table the runtime role owns or may act as owner of", "table the runtime role may TRUNCATE", "tenant table the runtime role can use without switching to the tenant role", "runtime role cannot switch to the tenant role, or inherits its rights"}, c.name) {
			args = append(args, runtimeRole)
		}
		rows, err := q.Query(ctx, c.sql, args...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		for _, n := range names {
			violations = append(violations, c.name+": "+n)
		}
	}
	return violations, nil
}

// TestRLSAudit checks the migrated schema keeps the isolation rules.
func TestRLSAudit(t *testing.T) {
	d := dbtest.New(t)
	got, err := auditRLS(t.Context(), d.Owner, dbtest.RuntimeRole)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > 0 {
		t.Errorf("row-level security audit failed:\n%s", joinLines(got))
	}
}

// TestRLSAuditCatchesViolations proves the audit can fail: each case breaks
// one rule inside a transaction (DDL is transactional in Postgres), audits,
// and rolls back.
func TestRLSAuditCatchesViolations(t *testing.T) {
	d := dbtest.New(t)
	tests := []struct {
		name string
		ddl  string
		want []string
	}{
		{"FORCE removed", `ALTER TABLE projects NO FORCE ROW LEVEL SECURITY`,
			[]string{"tenant table without RLS forced: projects"}},
		{"RLS disabled", `ALTER TABLE projects DISABLE ROW LEVEL SECURITY`,
			[]string{"tenant table without RLS enabled: projects"}},
		{"policy dropped", `DROP POLICY projects_tenant ON projects`,
			[]string{"tenant table without a USING + WITH CHECK policy on app.current_tenant_id(): projects"}},
		{"policy without WITH CHECK", `DROP POLICY projects_tenant ON projects;
			CREATE POLICY projects_read ON projects FOR SELECT USING (tenant_id = (SELECT app.current_tenant_id()))`,
			[]string{"tenant table without a USING + WITH CHECK policy on app.current_tenant_id(): projects"}},
		{"policy that lets an unset tenant see everything", `DROP POLICY projects_tenant ON projects;
			CREATE POLICY projects_tenant ON projects
			USING (app.current_tenant_id() IS NULL OR tenant_id = app.current_tenant_id())
			WITH CHECK (tenant_id = app.current_tenant_id())`,
			[]string{"policy that treats an unset tenant as all tenants (OR ... IS NULL): projects.projects_tenant"}},
		{"fork adds a tenant table without RLS", `CREATE TABLE invoices (tenant_id uuid NOT NULL, id uuid PRIMARY KEY)`,
			[]string{
				"tenant table without RLS enabled: invoices",
				"tenant table without RLS forced: invoices",
				"tenant table without a USING + WITH CHECK policy on app.current_tenant_id(): invoices",
			}},
		{"runtime role may truncate", `GRANT TRUNCATE ON projects TO tenantkit_app`,
			[]string{"table the runtime role may TRUNCATE: projects"}},
		{"extra permissive policy widens reads", `CREATE POLICY projects_everyone ON projects FOR SELECT USING (true)`,
			[]string{"policy for the tenant role not keyed on app.current_tenant_id(): projects.projects_everyone"}},
		{"tenant role may see every user", `CREATE POLICY users_all ON users FOR SELECT TO tenantkit_tenant USING (true)`,
			[]string{"policy for the tenant role not keyed on app.current_tenant_id(): users.users_all"}},
		{"directory without RLS", `ALTER TABLE users DISABLE ROW LEVEL SECURITY`,
			[]string{"non-tenant table the tenant role can reach: users"}},
		{"tenant role can log in", `ALTER ROLE tenantkit_tenant LOGIN`,
			[]string{"tenant role can log in, is a superuser or has BYPASSRLS: tenantkit_tenant"}},
		{"runtime role inherits the tenant role", `GRANT tenantkit_tenant TO tenantkit_test_app`,
			[]string{
				"runtime role cannot switch to the tenant role, or inherits its rights: tenantkit_test_app",
				"tenant table the runtime role can use without switching to the tenant role: projects",
			}},
		{"tenant table granted to the runtime role", `GRANT SELECT ON projects TO tenantkit_app`,
			[]string{"tenant table the runtime role can use without switching to the tenant role: projects"}},
		{"tenant role may read password hashes", `GRANT SELECT (user_id, hash) ON password_credentials TO tenantkit_tenant`,
			[]string{"non-tenant table the tenant role can reach: password_credentials"}},
		{"tenant role may delete tenants", `GRANT DELETE ON tenants TO tenantkit_tenant`,
			[]string{"non-tenant table the tenant role can reach: tenants"}},
		{"tenant role may read all user columns", `GRANT SELECT ON users TO tenantkit_tenant`,
			[]string{"non-tenant table the tenant role can reach: users"}},
		{"view without security_invoker", `CREATE VIEW project_names AS SELECT name FROM projects`,
			[]string{"view without security_invoker: project_names"}},
		{"leakproof function", `CREATE FUNCTION app.leaky(uuid) RETURNS boolean LANGUAGE sql IMMUTABLE LEAKPROOF AS 'SELECT true'`,
			[]string{"user-defined LEAKPROOF function: app.leaky(uuid)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := d.Owner.Begin(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(context.WithoutCancel(t.Context()))
			if _, err := tx.Exec(t.Context(), tt.ddl); err != nil {
				t.Fatalf("break the schema: %v", err)
			}
			got, err := auditRLS(t.Context(), tx, dbtest.RuntimeRole)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("audit violations (-want +got):\n%s", diff)
			}
		})
	}
}

func joinLines(s []string) string {
	out := ""
	for _, l := range s {
		out += "  " + l + "\n"
	}
	return out
}
