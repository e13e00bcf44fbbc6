package database

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// CheckConnect returns ErrUnsafeRole when a login role other than the
// database's owner, a superuser or the given roles (the server's runtime and
// tenant login roles) may connect to the database, naming them, or when
// PUBLIC may. Roles are cluster-wide: another deployment's runtime role is a
// member of the same group roles, and only CONNECT keeps it out of this
// database.
func CheckConnect(ctx context.Context, pool *pgxpool.Pool, own ...string) error {
	var public bool
	var others []string
	err := pool.QueryRow(ctx, `
SELECT EXISTS (SELECT FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
               WHERE d.datname = current_database() AND a.grantee = 0 AND a.privilege_type = 'CONNECT'),
       ARRAY(SELECT r.rolname::text FROM pg_roles r, pg_database d
             WHERE d.datname = current_database() AND r.rolcanlogin AND NOT r.rolsuper
               AND r.oid <> d.datdba AND NOT (r.rolname = ANY ($1))
               AND has_database_privilege(r.oid, d.oid, 'CONNECT')
             ORDER BY 1)`, own).Scan(&public, &others)
	if err != nil {
		return fmt.Errorf("check who may connect: %w", err)
	}
	var db string
	if err := pool.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		return fmt.Errorf("check who may connect: %w", err)
	}
	switch {
	case public:
		return fmt.Errorf("%w: every role on the cluster may connect to database %q (CONNECT is granted to PUBLIC), "+
			"so another deployment's roles could reach its tables; run `server migrate up`, or REVOKE CONNECT ON DATABASE %s FROM PUBLIC",
			ErrUnsafeRole, db, pgx.Identifier{db}.Sanitize())
	case len(others) > 0:
		return fmt.Errorf("%w: roles %s may connect to database %q besides the server's own (%s); "+
			"REVOKE CONNECT ON DATABASE %s FROM each of them", ErrUnsafeRole, strings.Join(others, ", "), db,
			strings.Join(own, ", "), pgx.Identifier{db}.Sanitize())
	}
	return nil
}
