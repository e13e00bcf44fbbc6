package db_test

// The row-level security audit: catalog rules every fork inherits (this file),
// a behavioural proof that FORCE holds each tenant table's owner
// (rls_force_test.go) and a self-test showing each rule can fail
// (rls_selftest_test.go).
//
// A tenant table is any table with a tenant_id column. The rules:
//
//   - RLS is enabled and forced, with a policy for all commands whose USING
//     and WITH CHECK expressions key on app.current_tenant_id(); no permissive
//     policy that reaches the tenant role ignores the tenant, and none treats
//     an unset tenant as all tenants.
//   - The tenant role (tenantkit_tenant) holds SELECT, INSERT, UPDATE and
//     DELETE on it. A table tenants may only read says so in its comment:
//
//         COMMENT ON TABLE t IS '… tenantkit:readonly …';
//
//     and then the tenant role holds SELECT and none of INSERT, UPDATE,
//     DELETE (identity's memberships is marked so in its migration). A
//     table tenants may only add to says tenantkit:appendonly, and then
//     the tenant role holds SELECT and INSERT and neither UPDATE nor
//     DELETE (the audit log, audit_events).
//     Neither the tenant role nor the runtime role may TRUNCATE it
//     (TRUNCATE ignores RLS).
//   - Every unique constraint or index, the primary key included, has
//     tenant_id among its key columns, and every foreign key to another
//     tenant table (or itself) pairs tenant_id with the referenced tenant_id:
//     FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id).
//     A unique key without tenant_id is what lets a plain foreign key point
//     at another tenant's row.
//   - The runtime role uses tenant tables only by switching to the tenant
//     role: it is not a superuser, has no BYPASSRLS, owns nothing, may SET
//     ROLE tenantkit_tenant without inheriting its rights, and has no rights
//     of its own on tenant tables (except runtimeRoleTenantTables).
//   - The tenant role cannot log in and reaches nothing beyond tenant tables,
//     its own tenant's row and members (under RLS), and users' id, email,
//     name and disabled_at.
//   - Views are security_invoker; no user-defined function is LEAKPROOF;
//     SECURITY DEFINER functions pin search_path.
//
// Each violation is one line: the object, what is wrong, and the fix.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// readonlyMarker in a tenant table's comment makes it read-only for tenants.
const readonlyMarker = "tenantkit:readonly"

// appendonlyMarker in a tenant table's comment makes it append-only for
// tenants: they insert and read, never update or delete.
const appendonlyMarker = "tenantkit:appendonly"

// runtimeRoleTenantTables are identity's tenant tables: the runtime role
// serves them outside tenant transactions (login lists a user's
// memberships), under their own RLS policies.
// So are invitations (found by a link's token, whatever the tenant) and
// API keys (request auth finds a key by its id, and stamps its last use). The
// audit log is one too, for INSERT only: identity records the membership
// changes it makes there, in their transaction.
var runtimeRoleTenantTables = []string{"public.memberships", "public.invitations", "public.audit_events", "public.api_keys"}

// violation is one broken rule: Object is a table, policy's table, role or
// function, as Postgres prints it.
type violation struct {
	Object, Problem, Fix string
}

func (v violation) String() string {
	return v.Object + ": " + v.Problem + " (" + v.Fix + ")"
}

// tenantTables is a WITH item listing every tenant table.
const tenantTables = `tenant_tables AS (
	SELECT c.oid, c.oid::regclass::text AS name, c.relname, a.attnum AS tenant_attnum,
	       c.relrowsecurity, c.relforcerowsecurity
	FROM pg_class c
	JOIN pg_namespace n ON n.oid = c.relnamespace
	JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
	WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema'))
`

// aclGrants is a FROM item: the table c's grants, of the table and of its
// columns, as rows (grantee, privilege_type, name), less its owner's own
// (ownership is a rule of its own). Reporting grants, not effective rights,
// names the role a REVOKE must name, and reports a right reached through
// the tenant role once, on the role that inherits it.
const aclGrants = `LATERAL (
	SELECT g.grantee, g.privilege_type, CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::regrole::text END AS name
	FROM (SELECT (aclexplode(c.relacl)).*
	      UNION ALL
	      SELECT (aclexplode(a.attacl)).* FROM pg_attribute a
	      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) g
	WHERE g.grantee <> c.relowner) g`

// auditRLS returns every violation of tenantkit's row-level security rules
// in the database tx is connected to, for the runtime role runtimeRole,
// sorted. It runs the behavioural FORCE proof too, in a savepoint it rolls
// back; tx must be a superuser's (the dbtest owner connection is).
func auditRLS(ctx context.Context, tx pgx.Tx, runtimeRole string) ([]violation, error) {
	got, err := auditCatalog(ctx, tx, runtimeRole)
	if err != nil {
		return nil, err
	}
	proof, err := proveForce(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("FORCE proof: %w", err)
	}
	got = oneLinePerMistake(append(got, proof...))
	slices.SortFunc(got, func(a, b violation) int { return strings.Compare(a.String(), b.String()) })
	return got, nil
}

// oneLinePerMistake drops the lines that only follow from another line
// about the same table: the owner getting past RLS when RLS is not enabled
// or not forced or a policy is wrong, and a policy not keyed on the tenant
// (or with an OR) when the table has no tenant policy at all or the policy
// is an unset-tenant branch.
func oneLinePerMistake(vs []violation) []violation {
	has := func(object, problem string) bool {
		return slices.ContainsFunc(vs, func(v violation) bool { return v.Object == object && v.Problem == problem })
	}
	return slices.DeleteFunc(vs, func(v violation) bool {
		switch {
		case strings.HasPrefix(v.Problem, "RLS does not hold the table owner"):
			// The line that says why is enough.
			return has(v.Object, "RLS not forced") || has(v.Object, "RLS not enabled") ||
				slices.ContainsFunc(vs, func(o violation) bool { return o.Object == v.Object && strings.HasPrefix(o.Problem, "policy ") })
		case strings.HasPrefix(v.Problem, "policy ") &&
			(strings.HasSuffix(v.Problem, "is not keyed on app.current_tenant_id()") || strings.HasSuffix(v.Problem, "has an OR, which can admit rows of other tenants")):
			return has(v.Object, "no policy for all commands with USING and WITH CHECK on app.current_tenant_id()") ||
				slices.ContainsFunc(vs, func(o violation) bool {
					return o.Object == v.Object && strings.HasSuffix(o.Problem, "treats an unset tenant as all tenants (IS NULL)")
				})
		}
		return false
	})
}

// auditCatalog checks the rules that the system catalogs answer.
func auditCatalog(ctx context.Context, q pgx.Tx, runtimeRole string) ([]violation, error) {
	checks := []struct {
		rule string
		sql  string
		args []any
	}{
		{"RLS enabled", `WITH ` + tenantTables + `
			SELECT name, 'RLS not enabled', format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', name)
			FROM tenant_tables WHERE NOT relrowsecurity`, nil},
		{"RLS forced", `WITH ` + tenantTables + `
			SELECT name, 'RLS not forced', format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', name)
			FROM tenant_tables WHERE NOT relforcerowsecurity`, nil},
		// Every command must be covered by a policy with both a USING and a
		// WITH CHECK expression keyed on the transaction's tenant.
		{"tenant policy", `WITH ` + tenantTables + `
			SELECT t.name, 'no policy for all commands with USING and WITH CHECK on app.current_tenant_id()',
			       format('CREATE POLICY %I ON %s USING (tenant_id = (SELECT app.current_tenant_id())) WITH CHECK (tenant_id = (SELECT app.current_tenant_id()))',
			              t.relname || '_tenant', t.name)
			FROM tenant_tables t
			WHERE NOT EXISTS (
				SELECT FROM pg_policy p
				WHERE p.polrelid = t.oid AND p.polcmd = '*' AND p.polpermissive
				  AND p.polqual IS NOT NULL AND p.polwithcheck IS NOT NULL
				  AND pg_get_expr(p.polqual, p.polrelid) LIKE '%app.current_tenant_id()%'
				  AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%app.current_tenant_id()%')`, nil},
		// Permissive policies are OR-ed: one that applies to the tenant role
		// without keying on the tenant widens every tenant's view.
		{"policies keyed on the tenant", `
			SELECT p.polrelid::regclass::text,
			       format('policy %I applies to the tenant role but is not keyed on app.current_tenant_id()', p.polname),
			       format('DROP POLICY %I ON %s, or key it on tenant_id = (SELECT app.current_tenant_id())', p.polname, p.polrelid::regclass)
			FROM pg_policy p
			WHERE p.polpermissive
			  AND EXISTS (SELECT FROM unnest(p.polroles) r
			              WHERE CASE WHEN r = 0 THEN true ELSE pg_has_role('tenantkit_tenant', r, 'USAGE') END)
			  AND (coalesce(pg_get_expr(p.polqual, p.polrelid), '') NOT LIKE '%app.current_tenant_id()%'
			       OR (p.polwithcheck IS NOT NULL AND pg_get_expr(p.polwithcheck, p.polrelid) NOT LIKE '%app.current_tenant_id()%'))`, nil},
		// Mentioning the tenant is not enough: "tenant_id = … OR true" does
		// too. A policy for the tenant role has no OR; extra conditions are
		// AND-ed to the tenant key.
		{"no OR in tenant policies", `
			SELECT p.polrelid::regclass::text,
			       format('policy %I has an OR, which can admit rows of other tenants', p.polname),
			       'write it as tenant_id = (SELECT app.current_tenant_id()) AND (your conditions)'
			FROM pg_policy p
			WHERE p.polpermissive
			  AND EXISTS (SELECT FROM unnest(p.polroles) r
			              WHERE CASE WHEN r = 0 THEN true ELSE pg_has_role('tenantkit_tenant', r, 'USAGE') END)
			  AND (coalesce(pg_get_expr(p.polqual, p.polrelid), '') ~* '\mOR\M'
			       OR coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') ~* '\mOR\M')`, nil},
		// An unset tenant setting must match nothing: no "tenant IS NULL"
		// branch and no COALESCE that falls back to the row's own tenant. Other
		// IS NULL tests (a soft-delete "deleted_at IS NULL") are fine.
		{"no all-tenants policy", `
			SELECT p.polrelid::regclass::text,
			       format('policy %I treats an unset tenant as all tenants (IS NULL)', p.polname),
			       'drop the IS NULL branch: an unset tenant must see nothing'
			FROM pg_policy p, LATERAL (VALUES (pg_get_expr(p.polqual, p.polrelid)), (pg_get_expr(p.polwithcheck, p.polrelid))) e(expr)
			WHERE e.expr ~* '(current_tenant_id\(\)|current_setting\([^)]*\)|tenant_id)\)*\s+IS\s+NULL'
			   OR e.expr ~* 'coalesce\([^;]*current_(tenant_id\(|setting\()'
			GROUP BY p.polrelid, p.polname`, nil},
		// The tenant role has full use of tenant tables, or read-only or
		// append-only use of those marked so.
		{"tenant role grants", `WITH ` + tenantTables + `, t AS (
				SELECT name,
				       coalesce(obj_description(oid, 'pg_class'), '') LIKE '%' || $1::text || '%' AS readonly,
				       coalesce(obj_description(oid, 'pg_class'), '') LIKE '%' || $2::text || '%' AS appendonly,
				       array_to_string(ARRAY(SELECT p FROM unnest(ARRAY['UPDATE', 'DELETE']) WITH ORDINALITY u(p, i)
				                             WHERE has_table_privilege('tenantkit_tenant', oid, p) ORDER BY i), ', ') AS changes,
				       array_to_string(ARRAY(SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) WITH ORDINALITY u(p, i)
				                             -- SELECT of some columns is reading it (a
				                             -- credential's hash stays out of reach).
				                             WHERE NOT CASE p WHEN 'SELECT' THEN has_any_column_privilege('tenantkit_tenant', oid, p)
				                                              ELSE has_table_privilege('tenantkit_tenant', oid, p) END ORDER BY i), ', ') AS missing,
				       array_to_string(ARRAY(SELECT p FROM unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) WITH ORDINALITY u(p, i)
				                             WHERE has_table_privilege('tenantkit_tenant', oid, p) ORDER BY i), ', ') AS writes
				FROM tenant_tables)
			SELECT name, 'the tenant role lacks ' || missing,
			       format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO tenantkit_tenant, or if tenants only read it: COMMENT ON TABLE %s IS ''%s''', name, name, $1::text)
			FROM t WHERE NOT readonly AND NOT appendonly AND missing <> ''
			UNION ALL
			SELECT name, 'the tenant role lacks ' || replace(replace(missing, ', UPDATE', ''), ', DELETE', '') || ' on a table append-only for tenants',
			       format('GRANT SELECT, INSERT ON %s TO tenantkit_tenant', name)
			FROM t WHERE appendonly AND NOT readonly AND (missing LIKE 'SELECT%' OR missing LIKE '%INSERT%')
			UNION ALL
			SELECT name, format('the table is append-only for tenants (%s) but the tenant role may %s', $2::text, changes),
			       format('REVOKE %s ON %s FROM tenantkit_tenant', changes, name)
			FROM t WHERE appendonly AND NOT readonly AND changes <> ''
			UNION ALL
			SELECT name, 'the tenant role lacks SELECT on a table read-only for tenants', format('GRANT SELECT ON %s TO tenantkit_tenant', name)
			FROM t WHERE readonly AND missing LIKE 'SELECT%'
			UNION ALL
			SELECT name, format('the table is read-only for tenants (%s) but the tenant role may %s', $1::text, writes),
			       format('REVOKE %s ON %s FROM tenantkit_tenant', writes, name)
			FROM t WHERE readonly AND writes <> ''`, []any{readonlyMarker, appendonlyMarker}},
		// A unique key without tenant_id is global: it lets a plain foreign
		// key reach another tenant's row, and leaks across tenants.
		{"unique keys include tenant_id", `WITH ` + tenantTables + `
			SELECT t.name,
			       format('%s %I does not include tenant_id', CASE WHEN i.indisprimary THEN 'primary key' ELSE 'unique index' END, ic.relname),
			       format('make it %s (tenant_id, %s)', CASE WHEN i.indisprimary THEN 'PRIMARY KEY' ELSE 'UNIQUE' END,
			              (SELECT string_agg(pg_get_indexdef(i.indexrelid, k, true), ', ' ORDER BY k) FROM generate_series(1, i.indnkeyatts) k))
			FROM pg_index i
			JOIN tenant_tables t ON t.oid = i.indrelid
			JOIN pg_class ic ON ic.oid = i.indexrelid
			WHERE i.indisunique AND NOT ic.relispartition
			  AND NOT t.tenant_attnum = ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1])`, nil},
		{"foreign keys include tenant_id", `WITH ` + tenantTables + `
			SELECT t.name,
			       format('foreign key %I to %s does not pair tenant_id with its tenant_id', con.conname, con.confrelid::regclass),
			       format('FOREIGN KEY (tenant_id, %s) REFERENCES %s (tenant_id, %s)',
			              (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
			               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n WHERE a.attname <> 'tenant_id'),
			              con.confrelid::regclass,
			              (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
			               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n WHERE a.attname <> 'tenant_id'))
			FROM pg_constraint con
			JOIN tenant_tables t ON t.oid = con.conrelid
			JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attname = 'tenant_id' AND NOT ra.attisdropped
			WHERE con.contype = 'f' AND con.conparentid = 0
			  AND NOT EXISTS (SELECT FROM generate_subscripts(con.conkey, 1) k
			                  WHERE con.conkey[k] = t.tenant_attnum AND con.confkey[k] = ra.attnum)`, nil},
		// A credential's hash (a link's, a key's) is out of the tenant
		// role's reach: SQL injected into a tenant transaction can neither
		// read one nor try one.
		{"credential hashes are unreadable to tenants", `WITH ` + tenantTables + `
			SELECT t.name, format('the tenant role can read %I', a.attname),
			       format('grant SELECT on the other columns only: GRANT SELECT (…) ON %s TO tenantkit_tenant', t.name)
			FROM tenant_tables t
			JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
			WHERE (a.attname LIKE '%hash%' OR a.attname LIKE '%secret%')
			  AND has_column_privilege('tenantkit_tenant', t.oid, a.attnum, 'SELECT')`, nil},
		// DELETE /api/tenant deletes a tenant with every row of it, by the
		// cascade of each tenant table's foreign key to tenants: a table
		// without one would make the deletion fail, or leave rows behind.
		{"deleting a tenant cascades", `WITH ` + tenantTables + `
			SELECT t.name, format('foreign key %I to tenants does not cascade: deleting a tenant fails while it has rows here', con.conname),
			       'tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE'
			FROM pg_constraint con
			JOIN tenant_tables t ON t.oid = con.conrelid
			WHERE con.contype = 'f' AND con.confrelid = 'public.tenants'::regclass AND con.confdeltype <> 'c'
			UNION ALL
			SELECT t.name, 'tenant_id references no tenant: deleting a tenant would leave its rows behind',
			       'tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE'
			FROM tenant_tables t
			WHERE NOT EXISTS (SELECT FROM pg_constraint con
			                  WHERE con.conrelid = t.oid AND con.contype = 'f' AND con.confrelid = 'public.tenants'::regclass
			                    AND con.conkey = ARRAY[t.tenant_attnum])`, nil},
		{"tenant role attributes", `
			SELECT rolname::text, 'the tenant role can log in, is a superuser or has BYPASSRLS',
			       'ALTER ROLE tenantkit_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS'
			FROM pg_roles WHERE rolname = 'tenantkit_tenant' AND (rolcanlogin OR rolsuper OR rolbypassrls)`, nil},
		// Tenant transactions run on a login role of their own; the runtime
		// role (identity, sessions) never reaches tenant tables, and no role
		// is both, or SQL in a tenant transaction could step out to
		// identity's tables with RESET ROLE.
		{"runtime role does not act as the tenant role", `
			SELECT r.rolname::text, 'the runtime role may act as tenantkit_tenant',
			       format('REVOKE tenantkit_tenant FROM %I; tenant transactions run on TENANT_DATABASE_URL''s role', r.rolname)
			FROM pg_roles r, pg_roles t
			WHERE r.rolname = $1 AND t.rolname = 'tenantkit_tenant' AND pg_has_role(r.oid, t.oid, 'MEMBER')`, []any{runtimeRole}},
		{"no role is both tenant and runtime", `
			SELECT r.rolname::text, 'may act as both tenantkit_tenant and tenantkit_app',
			       format('REVOKE tenantkit_app FROM %I, or tenantkit_tenant: a tenant transaction''s role must reach tenant tables only', r.rolname)
			FROM pg_roles r
			WHERE r.rolname NOT IN ('tenantkit_tenant', 'tenantkit_app') AND NOT r.rolsuper
			  AND pg_has_role(r.oid, 'tenantkit_tenant', 'MEMBER') AND pg_has_role(r.oid, 'tenantkit_app', 'MEMBER')
			  -- Roles are cluster-wide: one that cannot connect here (another
			  -- database's, or a test's of another package) acts elsewhere.
			  AND has_database_privilege(r.oid, current_database(), 'CONNECT')`, nil},
		{"runtime role attributes", `
			SELECT rolname::text, 'the runtime role is a superuser or has BYPASSRLS', format('ALTER ROLE %I NOSUPERUSER NOBYPASSRLS', rolname)
			FROM pg_roles WHERE rolname = $1 AND (rolsuper OR rolbypassrls)`, []any{runtimeRole}},
		{"runtime role owns nothing", `
			SELECT c.oid::regclass::text, 'owned by the runtime role or a role it may act as',
			       format('ALTER TABLE %s OWNER TO <the migration owner>', c.oid::regclass)
			FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_roles r ON r.rolname = $1
			WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND pg_has_role(r.oid, c.relowner, 'MEMBER')`, []any{runtimeRole}},
		// TRUNCATE ignores RLS. A grant to the tenant role counts for the
		// runtime role only through inheriting it, which is reported once.
		{"no TRUNCATE", `WITH ` + tenantTables + `
			SELECT c.oid::regclass::text, 'the runtime role may TRUNCATE it, which ignores RLS',
			       format('REVOKE TRUNCATE ON %s FROM %s', c.oid::regclass, string_agg(DISTINCT g.name, ', ' ORDER BY g.name))
			FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace, ` + aclGrants + `
			WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND g.privilege_type = 'TRUNCATE'
			  AND g.grantee IS DISTINCT FROM (SELECT oid FROM pg_roles WHERE rolname = 'tenantkit_tenant')
			  AND (g.grantee = 0 OR pg_has_role($1::name, g.grantee, 'USAGE'))
			GROUP BY c.oid
			UNION ALL
			SELECT t.name, 'the tenant role may TRUNCATE it, which ignores RLS',
			       format('REVOKE TRUNCATE ON %s FROM %s', t.name, string_agg(DISTINCT g.name, ', ' ORDER BY g.name))
			FROM tenant_tables t JOIN pg_class c ON c.oid = t.oid, ` + aclGrants + `
			WHERE g.privilege_type = 'TRUNCATE' AND (g.grantee = 0 OR pg_has_role('tenantkit_tenant', g.grantee, 'USAGE'))
			GROUP BY t.name`, []any{runtimeRole}},
		{"runtime role goes through the tenant role", `WITH ` + tenantTables + `
			SELECT t.name, 'the runtime role can use it without switching to the tenant role',
			       format('REVOKE ALL ON %s FROM %s; grant to tenantkit_tenant instead', t.name, string_agg(DISTINCT g.name, ', ' ORDER BY g.name))
			FROM tenant_tables t JOIN pg_class c ON c.oid = t.oid, ` + aclGrants + `
			WHERE t.oid NOT IN (SELECT to_regclass(x) FROM unnest($2::text[]) x WHERE to_regclass(x) IS NOT NULL)
			  AND g.privilege_type IN ('SELECT', 'INSERT', 'UPDATE')
			  AND g.grantee IS DISTINCT FROM (SELECT oid FROM pg_roles WHERE rolname = 'tenantkit_tenant')
			  AND (g.grantee = 0 OR pg_has_role($1::name, g.grantee, 'USAGE'))
			GROUP BY t.name`, []any{runtimeRole, runtimeRoleTenantTables}},
		// The tenant role reaches tenant tables, the tenants directory and a
		// few user columns; never credentials, sessions or anything else.
		{"tenant role stays in tenant tables", `WITH c AS (
				SELECT c.oid, c.oid::regclass::text AS name, c.relrowsecurity,
				       c.oid IN (to_regclass('public.tenants'), to_regclass('public.users')) AS directory
				FROM pg_class c
				JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
				  AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))
			SELECT name, 'the tenant role may write to a non-tenant table', format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %s FROM tenantkit_tenant', name)
			FROM c WHERE has_table_privilege('tenantkit_tenant', oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
			UNION ALL
			SELECT name, 'the tenant role may read a non-tenant table', format('REVOKE SELECT ON %s FROM tenantkit_tenant', name)
			FROM c WHERE NOT directory AND has_any_column_privilege('tenantkit_tenant', oid, 'SELECT')
			UNION ALL
			SELECT name, 'the tenant role may read this directory but its RLS is disabled', format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', name)
			FROM c WHERE directory AND NOT relrowsecurity AND has_any_column_privilege('tenantkit_tenant', oid, 'SELECT')
			UNION ALL
			SELECT name, 'the tenant role may read columns beyond id, email, name, disabled_at',
			       format('REVOKE SELECT ON %s FROM tenantkit_tenant; GRANT SELECT (id, email, name, disabled_at) ON %s TO tenantkit_tenant', name, name)
			FROM c WHERE oid = to_regclass('public.users') AND EXISTS (
				SELECT FROM pg_attribute u WHERE u.attrelid = c.oid AND u.attnum > 0 AND NOT u.attisdropped
				  AND u.attname NOT IN ('id', 'email', 'name', 'disabled_at')
				  AND has_column_privilege('tenantkit_tenant', c.oid, u.attnum, 'SELECT'))`, nil},
		{"views are security_invoker", `
			SELECT c.oid::regclass::text,
			       CASE c.relkind WHEN 'v' THEN 'view without security_invoker' ELSE 'materialized view: RLS does not apply to its rows' END,
			       CASE c.relkind WHEN 'v' THEN format('ALTER VIEW %s SET (security_invoker = true)', c.oid::regclass)
			                      ELSE format('DROP MATERIALIZED VIEW %s, or use a security_invoker view', c.oid::regclass) END
			FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND NOT coalesce(c.reloptions && ARRAY['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false)`, nil},
		{"no LEAKPROOF", `
			SELECT p.oid::regprocedure::text, 'user-defined LEAKPROOF function', format('ALTER FUNCTION %s NOT LEAKPROOF', p.oid::regprocedure)
			FROM pg_proc p
			JOIN pg_namespace n ON n.oid = p.pronamespace
			WHERE p.proleakproof AND n.nspname NOT IN ('pg_catalog', 'information_schema')`, nil},
		{"SECURITY DEFINER pins search_path", `
			SELECT p.oid::regprocedure::text, 'SECURITY DEFINER function without a pinned search_path',
			       format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp', p.oid::regprocedure)
			FROM pg_proc p
			JOIN pg_namespace n ON n.oid = p.pronamespace
			WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			  AND NOT coalesce(array_to_string(p.proconfig, ',') LIKE '%search_path=%', false)`, nil},
	}
	var out []violation
	for _, c := range checks {
		rows, err := q.Query(ctx, c.sql, c.args...)
		if err != nil {
			return nil, fmt.Errorf("audit rule %q: %w", c.rule, err)
		}
		vs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[violation])
		if err != nil {
			return nil, fmt.Errorf("audit rule %q: %w", c.rule, err)
		}
		out = append(out, vs...)
	}
	return out, nil
}

// TestRLSAudit checks the migrated schema keeps the isolation rules. It
// seeds two tenants' memberships and projects so that the FORCE proof has
// rows the owner must not see, and rolls everything back.
func TestRLSAudit(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	tx, err := d.Owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	seed := []string{`
		WITH tn AS (INSERT INTO tenants (slug, name) VALUES ('rls-audit-a', 'A'), ('rls-audit-b', 'B') RETURNING id),
		     u AS (INSERT INTO users (email, name) VALUES ('rls-audit@example.com', 'Audit') RETURNING id)
		INSERT INTO memberships (tenant_id, user_id, role) SELECT tn.id, u.id, 'owner' FROM tn, u`}
	var hasProjects bool // the example table: a fork may have removed it
	if err := tx.QueryRow(ctx, "SELECT to_regclass('public.projects') IS NOT NULL").Scan(&hasProjects); err != nil {
		t.Fatal(err)
	}
	if hasProjects {
		seed = append(seed, `INSERT INTO projects (tenant_id, name, created_by)
			SELECT m.tenant_id, 'audit', m.user_id FROM memberships m`)
	}
	for _, s := range seed {
		if _, err := tx.Exec(ctx, s); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}

	got, err := auditRLS(ctx, tx, dbtest.RuntimeRole)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range got {
		t.Errorf("RLS audit: %s", v)
	}
}
