package jobs

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// TestRiverSchemaGrants: the runtime role has what River needs in its
// schema and no more; the tenant role and PUBLIC have nothing there.
func TestRiverSchemaGrants(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()

	for _, tc := range []struct {
		role string
		db   interface {
			Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
		}
		sql     string
		allowed bool
	}{
		{"runtime", d.App, "SELECT count(*) FROM river.river_job", true},
		{"runtime", d.App, "SELECT count(*) FROM river.river_leader", true},
		{"runtime", d.App, "SELECT count(*) FROM river.river_migration", false},
		{"runtime", d.App, "TRUNCATE river.river_job", false},
		{"runtime", d.App, "CREATE TABLE river.x (i int)", false},
		{"runtime", d.App, "ALTER TABLE river.river_job ADD COLUMN x int", false},
		{"tenant", d.Tenant, "SELECT count(*) FROM river.river_job", false},
		{"tenant", d.Tenant, "INSERT INTO river.river_job (args, kind, max_attempts, queue) VALUES ('{}', 'mail', 1, 'default')", false},
		{"tenant", d.Tenant, "SELECT river.river_job_state_in_bitmask(B'11111111', 'available')", false},
	} {
		_, err := tc.db.Exec(ctx, tc.sql)
		pgErr, denied := errors.AsType[*pgconn.PgError](err)
		denied = denied && pgErr.Code == "42501"
		switch {
		case tc.allowed && err != nil:
			t.Errorf("%s role: %s: %v", tc.role, tc.sql, err)
		case !tc.allowed && !denied:
			t.Errorf("%s role: %s: %v, want insufficient_privilege", tc.role, tc.sql, err)
		}
	}

	// The catalogue, as the owner: grants (and the defaults Postgres gives
	// PUBLIC on functions and types) of everything in the schema.
	rows, err := d.Owner.Query(ctx, `
WITH objs AS (
    SELECT 'schema river' AS obj, NULL::text AS relname, coalesce(n.nspacl, acldefault('n'::"char", n.nspowner)) AS acl
    FROM pg_namespace n WHERE n.nspname = 'river'
    UNION ALL
    SELECT c.oid::regclass::text, CASE WHEN c.relkind IN ('r', 'p') THEN c.relname END,
           coalesce(c.relacl, acldefault((CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::"char", c.relowner))
    FROM pg_class c WHERE c.relnamespace = 'river'::regnamespace AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
    UNION ALL
    SELECT p.oid::regprocedure::text, NULL, coalesce(p.proacl, acldefault('f'::"char", p.proowner))
    FROM pg_proc p WHERE p.pronamespace = 'river'::regnamespace
    UNION ALL
    SELECT t.oid::regtype::text, NULL, coalesce(t.typacl, acldefault('T'::"char", t.typowner))
    FROM pg_type t WHERE t.typnamespace = 'river'::regnamespace AND t.typtype IN ('e', 'd', 'r')
)
SELECT o.obj || ': ' || a.privilege_type || ' to ' || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END
FROM objs o, aclexplode(o.acl) a
WHERE a.grantee = 0 OR a.grantee = $1::regrole
   OR (a.grantee = $2::regrole AND (a.privilege_type NOT IN ('USAGE', 'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'EXECUTE')
                                    OR o.relname = 'river_migration'))
ORDER BY 1`, dbtest.Roles.Tenant, dbtest.Roles.App)
	if err != nil {
		t.Fatal(err)
	}
	extra, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range extra {
		t.Errorf("granted beyond what River needs: %s", e)
	}
}

// TestMigrateUpRiver: `migrate up` creates River's schema when it is
// missing, also with two replicas migrating at once, does nothing the
// second time, and `migrate down` drops it only below the first migration.
func TestMigrateUpRiver(t *testing.T) {
	ctx := t.Context()
	ownerURL, dropDB, err := dbtest.MigrateFresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dropDB(); err != nil {
			t.Errorf("drop: %v", err)
		}
	})
	owner, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(context.Background())
	riverExists := func() bool {
		t.Helper()
		var ok bool
		if err := owner.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'river')").Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	migrator := func() *database.Migrator {
		t.Helper()
		m, err := database.NewMigrator(ownerURL, dbtest.Roles)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	if !riverExists() {
		t.Fatal("a migrated database has no river schema")
	}
	if _, err := owner.Exec(ctx, "DROP SCHEMA river CASCADE"); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, 2)
	errs := make([]error, 2)
	for i := range 2 {
		m := migrator()
		wg.Go(func() { errs[i] = m.Up(ctx, &outs[i]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("two replicas migrating at once: %v\n%s\n%s", err, outs[0].String(), outs[1].String())
	}
	if n := strings.Count(outs[0].String()+outs[1].String(), "migrated up: river 001"); n != 1 {
		t.Errorf("River's first migration ran %d times:\n%s\n%s", n, outs[0].String(), outs[1].String())
	}
	var again bytes.Buffer
	if err := migrator().Up(ctx, &again); err != nil || again.Len() != 0 {
		t.Errorf("migrate up on a migrated database: %v, output %q; want nothing to do", err, again.String())
	}
	var granted bool
	if err := owner.QueryRow(ctx, "SELECT has_table_privilege($1, 'river.river_job', 'INSERT')", dbtest.Roles.App).Scan(&granted); err != nil || !granted {
		t.Errorf("the runtime group may insert jobs: %v, %v", granted, err)
	}

	var down bytes.Buffer
	m := migrator()
	if err := m.Down(ctx, &down); err != nil {
		t.Fatal(err)
	}
	if !riverExists() {
		t.Errorf("one migration down dropped River's schema:\n%s", down.String())
	}
	// 00002's Down drops memberships before users, whose policy
	// users_current_tenant reads memberships, and so fails; the policy goes
	// first here, so that the test gets below the first migration.
	if _, err := owner.Exec(ctx, "DROP POLICY IF EXISTS users_current_tenant ON users"); err != nil {
		t.Fatal(err)
	}
	for {
		err := m.Down(ctx, &down)
		if errors.Is(err, goose.ErrNoNextVersion) {
			break
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, down.String())
		}
	}
	if riverExists() {
		t.Errorf("River's schema is left after every migration was rolled back:\n%s", down.String())
	}
}
