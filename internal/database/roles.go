package database

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Roles are one deployment's two NOLOGIN group roles: what the migrations
// grant to. Roles are cluster-wide in Postgres, so two deployments on one
// cluster (staging next to production) must not share them: a login role of
// one would hold every privilege the other's database grants to the group,
// and only CONNECT would stand between them. Each deployment therefore has
// its own pair, <prefix>_app and <prefix>_tenant, and its databases grant
// nothing to anyone else's.
type Roles struct {
	// App is the runtime group: what identity and the session store need.
	// The runtime login role (APP_DATABASE_URL) is its member.
	App string
	// Tenant holds what a tenant transaction may touch. The tenant login
	// role (TENANT_DATABASE_URL) is its member and nothing else's.
	Tenant string
}

// MigrationRoles are the names the migration files are written with. They
// are placeholders: the migrator substitutes the deployment's Roles for
// them (see Roles.migrations), so files stay plain SQL that sqlc, editors
// and reviewers read as it is. For a database named tenantkit, the default
// prefix, the substitution changes nothing.
var MigrationRoles = Roles{App: "tenantkit_app", Tenant: "tenantkit_tenant"}

// maxRolePrefix leaves room for "_tenant" within Postgres' 63-byte names.
const maxRolePrefix = 63 - len("_tenant")

// rolePrefixPattern is a plain lower-case SQL identifier: it needs no
// quoting, so substituting it into migrations cannot change their meaning.
var rolePrefixPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// RolesFor returns the roles of the deployment whose role prefix is prefix.
func RolesFor(prefix string) (Roles, error) {
	switch {
	case prefix == "":
		return Roles{}, errors.New("empty")
	case len(prefix) > maxRolePrefix:
		return Roles{}, fmt.Errorf("%q is longer than %d bytes", prefix, maxRolePrefix)
	case !rolePrefixPattern.MatchString(prefix):
		return Roles{}, fmt.Errorf("%q is not a lower-case identifier (a-z, 0-9, _, not starting with a digit)", prefix)
	}
	return Roles{App: prefix + "_app", Tenant: prefix + "_tenant"}, nil
}

// notGroup refuses a login role (the user of variable's URL) named like
// one of the group roles, which would have to be its own member.
func (r Roles) notGroup(variable, login string) error {
	if login == r.App || login == r.Tenant {
		return fmt.Errorf("%s: user %q is the name of one of the deployment's group roles (%s, %s); "+
			"give the login role another name, or set another DATABASE_ROLE_PREFIX", variable, login, r.App, r.Tenant)
	}
	return nil
}

// DefaultRolePrefix is the role prefix of a deployment that sets none: the
// name of the database in databaseURL, which is unique on its cluster. It
// fails when that name is not a plain lower-case identifier.
func DefaultRolePrefix(databaseURL string) (string, error) {
	name, err := DatabaseName(databaseURL)
	if err != nil {
		return "", err
	}
	if _, err := RolesFor(name); err != nil {
		return "", fmt.Errorf("the database name %w; set the prefix explicitly", err)
	}
	return name, nil
}

// DatabaseName is the database a connection string names, however it
// spells it (a postgres:// URL or key=value pairs; PGDATABASE; the user's
// name, which is what Postgres connects to when no database is named).
func DatabaseName(databaseURL string) (string, error) {
	cfg, err := pgconn.ParseConfig(databaseURL)
	if err != nil {
		return "", errors.New("invalid connection string")
	}
	if cfg.Database != "" {
		return cfg.Database, nil
	}
	return cfg.User, nil
}

// migrationRolePattern matches the placeholder role names as whole words.
var migrationRolePattern = regexp.MustCompile(`\b(` + MigrationRoles.App + `|` + MigrationRoles.Tenant + `)\b`)

// Rewrite returns sql with the placeholder role names replaced by r's.
func (r Roles) Rewrite(sql string) string {
	if r == MigrationRoles {
		return sql
	}
	return migrationRolePattern.ReplaceAllStringFunc(sql, func(name string) string {
		if name == MigrationRoles.App {
			return r.App
		}
		return r.Tenant
	})
}

// migrations returns the files of dir in fsys with every placeholder role
// name replaced by r's.
func (r Roles) migrations(fsys fs.FS) (fs.FS, error) {
	out := fstest.MapFS{}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		out[path] = &fstest.MapFile{Data: []byte(r.Rewrite(string(b))), Mode: 0o444}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	return out, nil
}

// checkMigratedFor returns ErrUnsafeRole when the database was not
// migrated for group: group lacks SELECT on table, one that the migrations
// grant it. A database migrated for another deployment, restored from its
// dump for example, grants to that deployment's roles: the error names them.
func checkMigratedFor(ctx context.Context, pool *pgxpool.Pool, group, table string) error {
	var (
		granted          bool
		grantedToInstead []string
	)
	err := pool.QueryRow(ctx, `
SELECT coalesce((SELECT has_table_privilege(g.oid, $2::regclass, 'SELECT') FROM pg_roles g WHERE g.rolname = $1), false),
       ARRAY(SELECT DISTINCT g.rolname::text
             FROM pg_class c, aclexplode(c.relacl) a, pg_roles g
             WHERE c.oid = $2::regclass AND g.oid = a.grantee AND a.grantee <> c.relowner
               AND a.privilege_type = 'SELECT' AND NOT g.rolcanlogin
             ORDER BY 1)`, group, "public."+table).Scan(&granted, &grantedToInstead)
	if err != nil {
		return fmt.Errorf("inspect the database's grants to %s: %w", group, err)
	}
	switch {
	case !granted && len(grantedToInstead) > 0:
		return fmt.Errorf("%w: this database grants its tables to %v, not to %s: it was migrated for another deployment's roles; "+
			"if it is that deployment's database, set DATABASE_ROLE_PREFIX to that deployment's prefix",
			ErrUnsafeRole, grantedToInstead, group)
	case !granted:
		return fmt.Errorf("%w: this database grants nothing to %s; run `server migrate up`", ErrUnsafeRole, group)
	}
	return nil
}
