package db_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// probeTables are two tenant tables built exactly by the convention, with a
// row for each of two tenants. Everything the self-test creates is named
// zz_rls_probe_…, a name no fork will pick. They carry no foreign key to tenants, so the
// self-test needs no rows in identity's tables.
const probeTables = `
CREATE TABLE zz_rls_probe_parent (
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	id        uuid NOT NULL DEFAULT gen_random_uuid(),
	name      text NOT NULL,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, name)
);
CREATE TABLE zz_rls_probe_child (
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	id        uuid NOT NULL DEFAULT gen_random_uuid(),
	parent_id uuid NOT NULL,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, parent_id) REFERENCES zz_rls_probe_parent (tenant_id, id)
);
ALTER TABLE zz_rls_probe_parent ENABLE ROW LEVEL SECURITY;
ALTER TABLE zz_rls_probe_parent FORCE ROW LEVEL SECURITY;
CREATE POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent
	USING (tenant_id = (SELECT app.current_tenant_id()))
	WITH CHECK (tenant_id = (SELECT app.current_tenant_id()));
ALTER TABLE zz_rls_probe_child ENABLE ROW LEVEL SECURITY;
ALTER TABLE zz_rls_probe_child FORCE ROW LEVEL SECURITY;
CREATE POLICY zz_rls_probe_child_tenant ON zz_rls_probe_child
	USING (tenant_id = (SELECT app.current_tenant_id()))
	WITH CHECK (tenant_id = (SELECT app.current_tenant_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON zz_rls_probe_parent, zz_rls_probe_child TO tenantkit_tenant;
INSERT INTO tenants (id, slug, name) VALUES
	('00000000-0000-4000-8000-00000000000a', 'zz-rls-probe-a', 'a'),
	('00000000-0000-4000-8000-00000000000b', 'zz-rls-probe-b', 'b');
INSERT INTO zz_rls_probe_parent (tenant_id, id, name) VALUES
	('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-0000000000a1', 'a'),
	('00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-0000000000b1', 'b');
INSERT INTO zz_rls_probe_child (tenant_id, parent_id) VALUES
	('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-0000000000a1'),
	('00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-0000000000b1');
`

// TestRLSAuditCatchesViolations proves every audit rule can fail. Each case
// adds the probe tables, audits, breaks one rule, audits again and compares
// the violations the break added, all in a transaction that is rolled back
// (DDL and role changes are transactional in Postgres). What the schema
// itself already violates, or a fork's tables, does not change the result.
func TestRLSAuditCatchesViolations(t *testing.T) {
	d := dbtest.New(t)
	const (
		parent = "zz_rls_probe_parent"
		child  = "zz_rls_probe_child"
		app    = dbtest.RuntimeRole
	)
	ownerProof := func(table, problems string) string {
		return table + ": RLS does not hold the table owner: " + problems +
			" (ALTER TABLE " + table + " FORCE ROW LEVEL SECURITY; no policy may admit other tenants' rows)"
	}
	policyFix := func(table string) string {
		return "(CREATE POLICY " + table + "_tenant ON " + table +
			" USING (tenant_id = (SELECT app.current_tenant_id())) WITH CHECK (tenant_id = (SELECT app.current_tenant_id())))"
	}
	tests := []struct {
		name string
		ddl  string
		want []string
	}{
		{name: "no change adds nothing", ddl: "SELECT"}, // the audit is repeatable

		// RLS and its policies.
		{name: "FORCE removed", ddl: `ALTER TABLE zz_rls_probe_parent NO FORCE ROW LEVEL SECURITY`, want: []string{
			parent + ": RLS not forced (ALTER TABLE " + parent + " FORCE ROW LEVEL SECURITY)",
		}},
		{name: "RLS disabled", ddl: `ALTER TABLE zz_rls_probe_child DISABLE ROW LEVEL SECURITY`, want: []string{
			child + ": RLS not enabled (ALTER TABLE " + child + " ENABLE ROW LEVEL SECURITY)",
		}},
		{name: "policy dropped", ddl: `DROP POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent`, want: []string{
			parent + ": no policy for all commands with USING and WITH CHECK on app.current_tenant_id() " + policyFix(parent),
		}},
		{name: "policy without WITH CHECK", ddl: `DROP POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent;
			CREATE POLICY zz_rls_probe_read ON zz_rls_probe_parent FOR SELECT USING (tenant_id = (SELECT app.current_tenant_id()))`, want: []string{
			parent + ": no policy for all commands with USING and WITH CHECK on app.current_tenant_id() " + policyFix(parent),
		}},
		{name: "policy that lets an unset tenant see everything", ddl: `DROP POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent;
			CREATE POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent
			USING (app.current_tenant_id() IS NULL OR tenant_id = app.current_tenant_id())
			WITH CHECK (tenant_id = app.current_tenant_id())`, want: []string{
			parent + ": policy zz_rls_probe_parent_tenant treats an unset tenant as all tenants (IS NULL) (drop the IS NULL branch: an unset tenant must see nothing)",
		}},
		{name: "policy that falls back to the row's tenant", ddl: `DROP POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent;
			CREATE POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent
			USING (tenant_id = coalesce(app.current_tenant_id(), tenant_id))
			WITH CHECK (tenant_id = app.current_tenant_id())`, want: []string{
			parent + ": policy zz_rls_probe_parent_tenant treats an unset tenant as all tenants (IS NULL) (drop the IS NULL branch: an unset tenant must see nothing)",
		}},
		{name: "a credential hash tenants can read", ddl: `ALTER TABLE zz_rls_probe_parent ADD COLUMN token_hash bytea`, want: []string{
			parent + ": the tenant role can read token_hash (grant SELECT on the other columns only: GRANT SELECT (…) ON " + parent + " TO tenantkit_tenant)",
		}},
		{name: "foreign key to tenants that does not cascade", ddl: `ALTER TABLE zz_rls_probe_child DROP CONSTRAINT zz_rls_probe_child_tenant_id_fkey;
			ALTER TABLE zz_rls_probe_child ADD CONSTRAINT zz_rls_probe_child_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id)`, want: []string{
			child + ": foreign key zz_rls_probe_child_tenant_id_fkey to tenants does not cascade: deleting a tenant fails while it has rows here (tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE)",
		}},
		{name: "soft-delete policy is fine", ddl: `ALTER TABLE zz_rls_probe_parent ADD COLUMN deleted_at timestamptz;
			DROP POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent;
			CREATE POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent
			USING (tenant_id = (SELECT app.current_tenant_id()) AND deleted_at IS NULL)
			WITH CHECK (tenant_id = (SELECT app.current_tenant_id()))`, want: nil},
		{name: "policy with OR true", ddl: `DROP POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent;
			CREATE POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent
			USING (tenant_id = (SELECT app.current_tenant_id()) OR true)
			WITH CHECK (tenant_id = (SELECT app.current_tenant_id()))`, want: []string{
			parent + ": policy zz_rls_probe_parent_tenant has an OR, which can admit rows of other tenants (write it as tenant_id = (SELECT app.current_tenant_id()) AND (your conditions))",
		}},
		{name: "policy that only the behavioural proof sees", ddl: `DROP POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent;
			CREATE POLICY zz_rls_probe_parent_tenant ON zz_rls_probe_parent
			USING ((tenant_id = (SELECT app.current_tenant_id())) IS NOT FALSE)
			WITH CHECK (tenant_id = (SELECT app.current_tenant_id()))`, want: []string{
			ownerProof(parent, "it saw 2 of 2 rows of other tenants"),
		}},
		{name: "extra permissive policy widens reads", ddl: `CREATE POLICY zz_rls_probe_everyone ON zz_rls_probe_parent FOR SELECT USING (true)`, want: []string{
			parent + ": policy zz_rls_probe_everyone applies to the tenant role but is not keyed on app.current_tenant_id() (DROP POLICY zz_rls_probe_everyone ON " + parent + ", or key it on tenant_id = (SELECT app.current_tenant_id()))",
		}},
		{name: "tenant role may see every user", ddl: `CREATE POLICY zz_rls_probe_users ON users FOR SELECT TO tenantkit_tenant USING (true)`, want: []string{
			"users: policy zz_rls_probe_users applies to the tenant role but is not keyed on app.current_tenant_id() (DROP POLICY zz_rls_probe_users ON users, or key it on tenant_id = (SELECT app.current_tenant_id()))",
		}},
		{name: "fork adds a tenant table without RLS", ddl: `CREATE TABLE zz_rls_probe_bare (tenant_id uuid NOT NULL, id uuid PRIMARY KEY)`, want: []string{
			"zz_rls_probe_bare: RLS not enabled (ALTER TABLE zz_rls_probe_bare ENABLE ROW LEVEL SECURITY)",
			"zz_rls_probe_bare: RLS not forced (ALTER TABLE zz_rls_probe_bare FORCE ROW LEVEL SECURITY)",
			"zz_rls_probe_bare: no policy for all commands with USING and WITH CHECK on app.current_tenant_id() " + policyFix("zz_rls_probe_bare"),
			"zz_rls_probe_bare: primary key zz_rls_probe_bare_pkey does not include tenant_id (make it PRIMARY KEY (tenant_id, id))",
			"zz_rls_probe_bare: tenant_id references no tenant: deleting a tenant would leave its rows behind (tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE)",
			"zz_rls_probe_bare: the tenant role lacks SELECT, INSERT, UPDATE, DELETE (GRANT SELECT, INSERT, UPDATE, DELETE ON zz_rls_probe_bare TO tenantkit_tenant, or if tenants only read it: COMMENT ON TABLE zz_rls_probe_bare IS 'tenantkit:readonly')",
		}},

		// The tenant role's grants.
		{name: "tenant role lacks writes", ddl: `REVOKE INSERT, DELETE ON zz_rls_probe_child FROM tenantkit_tenant`, want: []string{
			child + ": the tenant role lacks INSERT, DELETE (GRANT SELECT, INSERT, UPDATE, DELETE ON " + child + " TO tenantkit_tenant, or if tenants only read it: COMMENT ON TABLE " + child + " IS 'tenantkit:readonly')",
		}},
		{name: "read-only marker honoured", ddl: `REVOKE INSERT, UPDATE, DELETE ON zz_rls_probe_child FROM tenantkit_tenant;
			COMMENT ON TABLE zz_rls_probe_child IS 'Written by the platform only. tenantkit:readonly'`},
		{name: "read-only table the tenant role cannot read", ddl: `REVOKE ALL ON zz_rls_probe_child FROM tenantkit_tenant;
			COMMENT ON TABLE zz_rls_probe_child IS 'tenantkit:readonly'`, want: []string{
			child + ": the tenant role lacks SELECT on a table read-only for tenants (GRANT SELECT ON " + child + " TO tenantkit_tenant)",
		}},
		{name: "read-only table the tenant role may write", ddl: `COMMENT ON TABLE zz_rls_probe_child IS 'tenantkit:readonly'`, want: []string{
			child + ": the table is read-only for tenants (tenantkit:readonly) but the tenant role may INSERT, UPDATE, DELETE (REVOKE INSERT, UPDATE, DELETE ON " + child + " FROM tenantkit_tenant)",
		}},
		{name: "append-only marker honoured", ddl: `REVOKE UPDATE, DELETE ON zz_rls_probe_child FROM tenantkit_tenant;
			COMMENT ON TABLE zz_rls_probe_child IS 'A log. tenantkit:appendonly'`},
		{name: "append-only table the tenant role cannot insert into", ddl: `REVOKE INSERT, UPDATE, DELETE ON zz_rls_probe_child FROM tenantkit_tenant;
			COMMENT ON TABLE zz_rls_probe_child IS 'tenantkit:appendonly'`, want: []string{
			child + ": the tenant role lacks INSERT on a table append-only for tenants (GRANT SELECT, INSERT ON " + child + " TO tenantkit_tenant)",
		}},
		{name: "append-only table the tenant role may change", ddl: `COMMENT ON TABLE zz_rls_probe_child IS 'tenantkit:appendonly'`, want: []string{
			child + ": the table is append-only for tenants (tenantkit:appendonly) but the tenant role may UPDATE, DELETE (REVOKE UPDATE, DELETE ON " + child + " FROM tenantkit_tenant)",
		}},
		{name: "tenant role may delete audit events", ddl: `GRANT DELETE ON audit_events TO tenantkit_tenant`, want: []string{
			"audit_events: the table is append-only for tenants (tenantkit:appendonly) but the tenant role may DELETE (REVOKE DELETE ON audit_events FROM tenantkit_tenant)",
		}},
		{name: "tenant role may write memberships", ddl: `GRANT INSERT ON memberships TO tenantkit_tenant`, want: []string{
			"memberships: the table is read-only for tenants (tenantkit:readonly) but the tenant role may INSERT (REVOKE INSERT ON memberships FROM tenantkit_tenant)",
		}},
		{name: "tenant role may truncate", ddl: `GRANT TRUNCATE ON zz_rls_probe_parent TO tenantkit_tenant`, want: []string{
			parent + ": the tenant role may TRUNCATE it, which ignores RLS (REVOKE TRUNCATE ON " + parent + " FROM tenantkit_tenant)",
		}},

		// Keys.
		{name: "plain foreign key to a global unique key", ddl: `ALTER TABLE zz_rls_probe_parent ADD UNIQUE (id);
			ALTER TABLE zz_rls_probe_child ADD CONSTRAINT zz_rls_probe_child_plain_fkey FOREIGN KEY (parent_id) REFERENCES zz_rls_probe_parent (id)`, want: []string{
			child + ": foreign key zz_rls_probe_child_plain_fkey to " + parent + " does not pair tenant_id with its tenant_id (FOREIGN KEY (tenant_id, parent_id) REFERENCES " + parent + " (tenant_id, id))",
			parent + ": unique index zz_rls_probe_parent_id_key does not include tenant_id (make it UNIQUE (tenant_id, id))",
		}},
		{name: "foreign key pairs tenant_id with the wrong column", ddl: `ALTER TABLE zz_rls_probe_parent ADD UNIQUE (id, tenant_id);
			ALTER TABLE zz_rls_probe_child ADD CONSTRAINT zz_rls_probe_child_crossed_fkey FOREIGN KEY (tenant_id, parent_id) REFERENCES zz_rls_probe_parent (id, tenant_id) NOT VALID`, want: []string{
			child + ": foreign key zz_rls_probe_child_crossed_fkey to " + parent + " does not pair tenant_id with its tenant_id (FOREIGN KEY (tenant_id, parent_id) REFERENCES " + parent + " (tenant_id, id))",
		}},
		{name: "self-reference without tenant_id", ddl: `ALTER TABLE zz_rls_probe_parent ADD UNIQUE (id);
			ALTER TABLE zz_rls_probe_parent ADD parent_id uuid CONSTRAINT zz_rls_probe_parent_tree_fkey REFERENCES zz_rls_probe_parent (id)`, want: []string{
			parent + ": foreign key zz_rls_probe_parent_tree_fkey to " + parent + " does not pair tenant_id with its tenant_id (FOREIGN KEY (tenant_id, parent_id) REFERENCES " + parent + " (tenant_id, id))",
			parent + ": unique index zz_rls_probe_parent_id_key does not include tenant_id (make it UNIQUE (tenant_id, id))",
		}},
		{name: "global unique index", ddl: `CREATE UNIQUE INDEX zz_rls_probe_parent_name_idx ON zz_rls_probe_parent (lower(name))`, want: []string{
			parent + ": unique index zz_rls_probe_parent_name_idx does not include tenant_id (make it UNIQUE (tenant_id, lower(name)))",
		}},
		{name: "tenant_id only included, not a key", ddl: `CREATE UNIQUE INDEX zz_rls_probe_parent_name_idx ON zz_rls_probe_parent (name) INCLUDE (tenant_id)`, want: []string{
			parent + ": unique index zz_rls_probe_parent_name_idx does not include tenant_id (make it UNIQUE (tenant_id, name))",
		}},

		// The runtime role.
		{name: "runtime role may truncate", ddl: `GRANT TRUNCATE ON zz_rls_probe_parent TO tenantkit_app`, want: []string{
			parent + ": the runtime role may TRUNCATE it, which ignores RLS (REVOKE TRUNCATE ON " + parent + " FROM tenantkit_app)",
		}},
		{name: "tenant table granted to the runtime role", ddl: `GRANT SELECT ON zz_rls_probe_parent TO tenantkit_app`, want: []string{
			parent + ": the runtime role can use it without switching to the tenant role (REVOKE ALL ON " + parent + " FROM tenantkit_app; grant to tenantkit_tenant instead)",
		}},
		{name: "runtime role owns a table", ddl: `ALTER TABLE zz_rls_probe_parent OWNER TO tenantkit_test_app`, want: []string{
			parent + ": owned by the runtime role or a role it may act as (ALTER TABLE " + parent + " OWNER TO <the migration owner>)",
		}},
		{name: "runtime role has BYPASSRLS", ddl: `ALTER ROLE tenantkit_test_app BYPASSRLS`, want: []string{
			app + ": the runtime role is a superuser or has BYPASSRLS (ALTER ROLE " + app + " NOSUPERUSER NOBYPASSRLS)",
		}},
		{name: "runtime role may act as the tenant role", ddl: `GRANT tenantkit_tenant TO tenantkit_test_app`, want: []string{
			app + ": may act as both tenantkit_tenant and tenantkit_app (REVOKE tenantkit_app FROM " + app + ", or tenantkit_tenant: a tenant transaction's role must reach tenant tables only)",
			app + ": the runtime role may act as tenantkit_tenant (REVOKE tenantkit_tenant FROM " + app + "; tenant transactions run on TENANT_DATABASE_URL's role)",
		}},
		{name: "tenant transactions' role is also a runtime role", ddl: `GRANT tenantkit_app TO tenantkit_test_tenant`, want: []string{
			"tenantkit_test_tenant: may act as both tenantkit_tenant and tenantkit_app (REVOKE tenantkit_app FROM tenantkit_test_tenant, or tenantkit_tenant: a tenant transaction's role must reach tenant tables only)",
		}},

		// The tenant role outside tenant tables.
		{name: "tenant role can log in", ddl: `ALTER ROLE tenantkit_tenant LOGIN`, want: []string{
			"tenantkit_tenant: the tenant role can log in, is a superuser or has BYPASSRLS (ALTER ROLE tenantkit_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS)",
		}},
		{name: "directory without RLS", ddl: `ALTER TABLE users DISABLE ROW LEVEL SECURITY`, want: []string{
			"users: the tenant role may read this directory but its RLS is disabled (ALTER TABLE users ENABLE ROW LEVEL SECURITY)",
		}},
		{name: "tenant role may read password hashes", ddl: `GRANT SELECT (user_id, hash) ON password_credentials TO tenantkit_tenant`, want: []string{
			"password_credentials: the tenant role may read a non-tenant table (REVOKE SELECT ON password_credentials FROM tenantkit_tenant)",
		}},
		{name: "tenant role may delete tenants", ddl: `GRANT DELETE ON tenants TO tenantkit_tenant`, want: []string{
			"tenants: the tenant role may write to a non-tenant table (REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON tenants FROM tenantkit_tenant)",
		}},
		{name: "tenant role may read all user columns", ddl: `GRANT SELECT ON users TO tenantkit_tenant`, want: []string{
			"users: the tenant role may read columns beyond id, email, name, disabled_at (REVOKE SELECT ON users FROM tenantkit_tenant; GRANT SELECT (id, email, name, disabled_at) ON users TO tenantkit_tenant)",
		}},

		// Views and functions.
		{name: "view without security_invoker", ddl: `CREATE VIEW zz_rls_probe_names AS SELECT name FROM zz_rls_probe_parent`, want: []string{
			"zz_rls_probe_names: view without security_invoker (ALTER VIEW zz_rls_probe_names SET (security_invoker = true))",
		}},
		{name: "leakproof function", ddl: `CREATE FUNCTION zz_rls_probe_leaky(uuid) RETURNS boolean LANGUAGE sql IMMUTABLE LEAKPROOF AS 'SELECT true'`, want: []string{
			"zz_rls_probe_leaky(uuid): user-defined LEAKPROOF function (ALTER FUNCTION zz_rls_probe_leaky(uuid) NOT LEAKPROOF)",
		}},
		{name: "SECURITY DEFINER without search_path", ddl: `CREATE FUNCTION zz_rls_probe_definer() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'`, want: []string{
			"zz_rls_probe_definer(): SECURITY DEFINER function without a pinned search_path (ALTER FUNCTION zz_rls_probe_definer() SET search_path = pg_catalog, pg_temp)",
		}},
	}

	t.Run("probe tables add nothing", func(t *testing.T) {
		got := auditDiff(t, d, "", probeTables)
		if diff := cmp.Diff([]string(nil), got); diff != "" {
			t.Errorf("the tenant-table convention itself fails the audit (-want +got):\n%s", diff)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := auditDiff(t, d, probeTables, tt.ddl)
			want := slices.Sorted(slices.Values(tt.want))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("violations the break added (-want +got):\n%s", diff)
			}
		})
	}
}

// auditDiff runs setup, audits, runs change, audits again and returns the
// violations change added, sorted, rolling all of it back.
func auditDiff(t *testing.T, d *dbtest.DB, setup, change string) []string {
	t.Helper()
	ctx := t.Context()
	tx, err := d.Owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if setup != "" {
		if _, err := tx.Exec(ctx, setup); err != nil {
			t.Fatalf("set up: %v", err)
		}
	}
	before, err := auditRLS(ctx, tx, dbtest.RuntimeRole)
	if err != nil {
		t.Fatalf("audit before: %v", err)
	}
	if _, err := tx.Exec(ctx, change); err != nil {
		t.Fatalf("change the schema: %v", err)
	}
	after, err := auditRLS(ctx, tx, dbtest.RuntimeRole)
	if err != nil {
		t.Fatalf("audit after: %v", err)
	}
	seen := map[string]int{}
	for _, v := range before {
		seen[v.String()]++
	}
	var added []string
	for _, v := range after {
		if s := v.String(); seen[s] > 0 {
			seen[s]--
		} else {
			added = append(added, s)
		}
	}
	slices.Sort(added)
	return added
}
