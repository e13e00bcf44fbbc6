package database

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrLargeObjectsOpen is the ErrUnsafeRole of a role that may use large
// objects. It is the only refusal a deployment may choose to accept
// (ALLOW_LARGE_OBJECTS): revoking them takes a superuser, which managed
// Postgres services do not hand out, and tenantkit stores nothing in large
// objects, so what stays open is a channel between tenants' injected SQL and
// storage outside any tenant's rows, not another tenant's data.
var ErrLargeObjectsOpen = errors.New("large objects are open")

// refuseLargeObjects returns ErrUnsafeRole when one of roles may create or
// read large objects. They are outside row-level security, one namespace
// per database, owned by the role that created them: every tenant's
// transactions share that role, so any tenant reads, overwrites and removes
// what another stored. Migration 00005_large_objects.sql revokes EXECUTE on
// the large-object functions from PUBLIC; only a superuser can, so the fix
// named here is a statement for a superuser to run.
func refuseLargeObjects(ctx context.Context, pool *pgxpool.Pool, roles ...string) error {
	// The large-object functions are the ones the backend implements in its
	// be_lo* routines: lo_create, lo_creat, lo_from_bytea, lo_import (server
	// side), lo_open, loread, lo_get, lowrite, lo_put, lo_unlink, … Client
	// libraries' large-object calls (and client-side lo_import) use them too.
	rows, err := pool.Query(ctx, `
SELECT r.rolname, quote_ident(r.rolname), quote_ident(current_database()),
       ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
             WHERE p.pronamespace = 'pg_catalog'::regnamespace
               AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'internal')
               AND p.prosrc LIKE 'be\_lo%'
               AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
             ORDER BY 1),
       has_table_privilege(r.oid, 'pg_catalog.pg_largeobject', 'SELECT')
FROM pg_roles r
WHERE r.rolname = ANY ($1)
ORDER BY array_position($1, r.rolname::text)`, roles)
	if err != nil {
		return fmt.Errorf("inspect large-object privileges: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (largeObjectAccess, error) {
		var a largeObjectAccess
		err := row.Scan(&a.name, &a.ident, &a.dbname, &a.funcs, &a.readTable)
		return a, err
	})
	if err != nil {
		return fmt.Errorf("inspect large-object privileges: %w", err)
	}
	for _, a := range found {
		if err := a.refusal(); err != nil {
			return err
		}
	}
	return nil
}

// largeObjectAccess is what one role may do with large objects.
type largeObjectAccess struct {
	name, ident, dbname string
	funcs               []string // large-object functions it may execute
	readTable           bool     // SELECT on pg_largeobject, their contents
}

func (a largeObjectAccess) refusal() error {
	var fix []string
	if len(a.funcs) > 0 {
		fix = append(fix, fmt.Sprintf("REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, %s", strings.Join(a.funcs, ", "), a.ident))
	}
	if a.readTable {
		fix = append(fix, "REVOKE SELECT ON pg_largeobject FROM PUBLIC, "+a.ident)
	}
	if len(fix) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w: role %q may create or read large objects, which row-level security does not cover and "+
		"every tenant would share; as a superuser, in database %s, run: %s (where no superuser exists, as on managed "+
		"Postgres, ALLOW_LARGE_OBJECTS=true accepts the risk)", ErrUnsafeRole, ErrLargeObjectsOpen, a.name, a.dbname, strings.Join(fix, "; "))
}
