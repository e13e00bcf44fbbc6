package database

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// serverRights are the role attributes and predefined roles that reach
// past the database: the server's files and shell, other databases of the
// cluster, other roles. A serving role needs none of them, and SQL injected
// into one of its queries would use them. In order of danger; the first a
// role has is the one its refusal names.
var serverRights = []serverRight{
	{"pg_execute_server_program", false, "which runs shell commands on the database server (COPY ... TO PROGRAM)"},
	{"pg_write_server_files", false, "which writes any file the database server can (COPY ... TO a file), its configuration included"},
	{"pg_read_server_files", false, "which reads any file the database server can (COPY ... FROM a file), every database's data files included"},
	{"CREATEROLE", true, "with which it can create and alter roles (on Postgres 15, grant itself pg_execute_server_program " +
		"and run shell commands on the database server)"},
	{"REPLICATION", true, "with which it can copy every database of the cluster (a base backup, the WAL) past row-level security"},
	{"pg_write_all_data", false, "which writes every table of every database on the cluster, whatever the table's grants"},
	{"pg_read_all_data", false, "which reads every table of every database on the cluster, whatever the table's grants"},
	// CREATEDB is no way to superuser, but a runtime role has no use for it,
	// and with it SQL injected into one query creates databases of its own
	// on the cluster (outside this deployment's fence, with no quota) and,
	// as their owner, installs trusted extensions there.
	{"CREATEDB", true, "with which it can create databases of its own on the cluster, outside this deployment, " +
		"and install extensions in them; a serving role needs none"},
}

type serverRight struct {
	name      string
	attribute bool   // a role attribute (ALTER ROLE … NOname), else a predefined role
	does      string // completes "role x has NAME, …" or "role x is a member of NAME, …"
}

// refuseServerRights returns ErrUnsafeRole when the pool's role, or any
// role it may SET ROLE to (directly or through other roles), has one of
// serverRights. The message names the right, the role that holds it and
// the statement that takes it away; the other rights found are listed after.
func refuseServerRights(ctx context.Context, pool *pgxpool.Pool) error {
	var attrs, predefined []string
	for _, r := range serverRights {
		if r.attribute {
			attrs = append(attrs, r.name)
		} else {
			predefined = append(predefined, r.name)
		}
	}
	// pg_has_role(…, 'MEMBER') is membership through any chain of grants,
	// inheriting or not: every role the connected role may SET ROLE to.
	// via is the connected role's own grants that lead to the holder: what
	// REVOKE … FROM it must name.
	rows, err := pool.Query(ctx, `
WITH me AS (SELECT oid, rolname FROM pg_roles WHERE rolname = current_user),
found AS (
    SELECT a.name, o.oid AS holder
    FROM me, pg_roles o,
         LATERAL (VALUES ('CREATEROLE', o.rolcreaterole), ('REPLICATION', o.rolreplication),
                         ('CREATEDB', o.rolcreatedb)) AS a(name, has)
    WHERE a.has AND a.name = ANY ($1) AND pg_has_role(me.oid, o.oid, 'MEMBER')
    UNION ALL
    SELECT o.rolname, o.oid
    FROM me, pg_roles o
    WHERE o.rolname = ANY ($2) AND pg_has_role(me.oid, o.oid, 'MEMBER')
)
SELECT f.name, me.rolname, quote_ident(me.rolname), h.oid = me.oid, quote_ident(h.rolname),
       ARRAY(SELECT DISTINCT quote_ident(g.rolname)
             FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
             WHERE m.member = me.oid AND pg_has_role(g.oid, f.holder, 'MEMBER')
             ORDER BY 1)
FROM found f JOIN pg_roles h ON h.oid = f.holder, me
ORDER BY h.oid <> me.oid, h.rolname`, attrs, predefined)
	if err != nil {
		return fmt.Errorf("inspect database role: %w", err)
	}
	type finding struct {
		right, name, ident, holder string
		self                       bool
		via                        []string
	}
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (finding, error) {
		var f finding
		err := row.Scan(&f.right, &f.name, &f.ident, &f.self, &f.holder, &f.via)
		return f, err
	})
	if err != nil {
		return fmt.Errorf("inspect database role: %w", err)
	}
	if len(found) == 0 {
		return nil
	}
	rank := func(right string) int {
		return slices.IndexFunc(serverRights, func(r serverRight) bool { return r.name == right })
	}
	slices.SortStableFunc(found, func(a, b finding) int { return rank(a.right) - rank(b.right) })

	f := found[0]
	r := serverRights[rank(f.right)]
	var msg string
	switch {
	case r.attribute && f.self:
		msg = fmt.Sprintf("role %q has %s, %s; run ALTER ROLE %s NO%s", f.name, r.name, r.does, f.ident, r.name)
	case r.attribute:
		msg = fmt.Sprintf("role %q may SET ROLE to %s, which has %s, %s; run ALTER ROLE %s NO%s, or REVOKE %s FROM %s",
			f.name, f.holder, r.name, r.does, f.holder, r.name, strings.Join(f.via, ", "), f.ident)
	default:
		through := slices.DeleteFunc(slices.Clone(f.via), func(g string) bool { return g == f.holder })
		member := r.name
		if len(through) > 0 {
			if len(through) < len(f.via) {
				member += " directly and"
			}
			member += " through " + strings.Join(through, ", ")
		}
		msg = fmt.Sprintf("role %q is a member of %s, %s; run REVOKE %s FROM %s",
			f.name, member, r.does, strings.Join(f.via, ", "), f.ident)
	}
	if len(found) > 1 {
		var more []string
		for _, g := range found[1:] {
			if serverRights[rank(g.right)].attribute && !g.self {
				more = append(more, g.right+" (as "+g.holder+")")
			} else {
				more = append(more, g.right)
			}
		}
		msg += "; it also has " + strings.Join(more, ", ")
	}
	return fmt.Errorf("%w: %s", ErrUnsafeRole, msg)
}
