package database_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// TestCheckRuntimeRole connects as throwaway login roles set up in each
// unsafe way and expects CheckRuntimeRole to refuse them, naming why.
func TestCheckRuntimeRole(t *testing.T) {
	d := dbtest.New(t)
	if err := database.CheckRuntimeRole(t.Context(), d.App, dbtest.Roles); err != nil {
		t.Fatalf("the test runtime role: %v", err)
	}
	tests := []struct {
		name  string
		setup string // %s is the role
		want  string
	}{
		{"superuser", `ALTER ROLE %s SUPERUSER`, "superuser"},
		{"bypassrls", `ALTER ROLE %s BYPASSRLS`, "BYPASSRLS"},
		{"owner of an RLS table", `GRANT tenantkit_app TO %[1]s; ALTER TABLE projects OWNER TO %[1]s`, "owns"},
		{"may become a bypassrls role", `GRANT tenantkit_app TO %[1]s; CREATE ROLE %[1]s_bypass NOLOGIN BYPASSRLS; GRANT %[1]s_bypass TO %[1]s`, "may SET ROLE"},
		{"may switch to the tenant role", `GRANT tenantkit_app TO %[1]s; CREATE ROLE %[1]s_t NOLOGIN NOINHERIT; GRANT tenantkit_tenant TO %[1]s_t; GRANT %[1]s_t TO %[1]s`, "may act as tenantkit_tenant"},
		{"inherits the tenant role", `GRANT tenantkit_tenant TO %s`, "may act as tenantkit_tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			role := "tk_check_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
			ident := role // lower-case letters, digits and _: no quoting needed
			cleanup := func() {
				ctx := context.Background()
				for _, sql := range []string{
					"ALTER TABLE projects OWNER TO CURRENT_USER",
					"REVOKE CONNECT ON DATABASE " + pgx.Identifier{d.Name}.Sanitize() + " FROM " + ident,
					"DROP ROLE IF EXISTS " + pgx.Identifier{role + "_bypass"}.Sanitize(),
					"DROP ROLE IF EXISTS " + pgx.Identifier{role + "_t"}.Sanitize(),
					"DROP OWNED BY " + ident,
					"DROP ROLE IF EXISTS " + ident,
				} {
					if _, err := d.Owner.Exec(ctx, sql); err != nil {
						t.Errorf("cleanup: %s: %v", sql, err)
					}
				}
			}
			t.Cleanup(cleanup)
			stmts := "CREATE ROLE " + ident + " LOGIN; GRANT CONNECT ON DATABASE " + pgx.Identifier{d.Name}.Sanitize() + " TO " + ident + ";"
			if tt.setup != "" {
				stmts += strings.ReplaceAll(strings.ReplaceAll(tt.setup, "%[1]s", ident), "%s", ident)
			}
			if _, err := d.Owner.Exec(ctx, stmts); err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(d.AppURL)
			if err != nil {
				t.Fatal(err)
			}
			u.User = url.User(role)
			pool, err := database.Open(ctx, u.String(), database.PoolConfig{MaxConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			err = database.CheckRuntimeRole(ctx, pool, dbtest.Roles)
			if !errors.Is(err, database.ErrUnsafeRole) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrUnsafeRole mentioning %q", err, tt.want)
			}
		})
	}
}

// TestCheckRuntimeRoleRefusesServerRights: a role that can reach past its
// database (the server's shell or files, every database's tables, other
// roles, new databases, large objects) is refused, by name, with the
// statement that fixes it. Each case is one throwaway role.
func TestCheckRuntimeRoleRefusesServerRights(t *testing.T) {
	d := dbtest.New(t)
	tests := []struct {
		name  string
		setup string // %[1]s is the role
		want  string // %[1]s is the role, %[2]s the database
	}{
		{"CREATEROLE", `ALTER ROLE %[1]s CREATEROLE`,
			`role "%[1]s" has CREATEROLE, with which it can create and alter roles (on Postgres 15, grant itself ` +
				`pg_execute_server_program and run shell commands on the database server); run ALTER ROLE %[1]s NOCREATEROLE`},
		{"REPLICATION", `ALTER ROLE %[1]s REPLICATION`,
			`role "%[1]s" has REPLICATION, with which it can copy every database of the cluster (a base backup, the WAL) ` +
				`past row-level security; run ALTER ROLE %[1]s NOREPLICATION`},
		{"CREATEDB", `ALTER ROLE %[1]s CREATEDB`,
			`role "%[1]s" has CREATEDB, with which it can create databases of its own on the cluster, outside this deployment, ` +
				`and install extensions in them; a serving role needs none; run ALTER ROLE %[1]s NOCREATEDB`},
		{"pg_execute_server_program", `GRANT pg_execute_server_program TO %[1]s`,
			`role "%[1]s" is a member of pg_execute_server_program, which runs shell commands on the database server ` +
				`(COPY ... TO PROGRAM); run REVOKE pg_execute_server_program FROM %[1]s`},
		{"pg_read_server_files", `GRANT pg_read_server_files TO %[1]s`,
			`role "%[1]s" is a member of pg_read_server_files, which reads any file the database server can ` +
				`(COPY ... FROM a file), every database's data files included; run REVOKE pg_read_server_files FROM %[1]s`},
		{"pg_write_server_files", `GRANT pg_write_server_files TO %[1]s`,
			`role "%[1]s" is a member of pg_write_server_files, which writes any file the database server can ` +
				`(COPY ... TO a file), its configuration included; run REVOKE pg_write_server_files FROM %[1]s`},
		{"pg_read_all_data", `GRANT pg_read_all_data TO %[1]s`,
			`role "%[1]s" is a member of pg_read_all_data, which reads every table of every database on the cluster, ` +
				`whatever the table's grants; run REVOKE pg_read_all_data FROM %[1]s`},
		{"pg_write_all_data", `GRANT pg_write_all_data TO %[1]s`,
			`role "%[1]s" is a member of pg_write_all_data, which writes every table of every database on the cluster, ` +
				`whatever the table's grants; run REVOKE pg_write_all_data FROM %[1]s`},
		{"pg_execute_server_program through two roles",
			`CREATE ROLE %[1]s_h NOLOGIN; GRANT pg_execute_server_program TO %[1]s_h;
			 CREATE ROLE %[1]s_g NOLOGIN NOINHERIT; GRANT %[1]s_h TO %[1]s_g; GRANT %[1]s_g TO %[1]s`,
			`role "%[1]s" is a member of pg_execute_server_program through %[1]s_g, which runs shell commands on the ` +
				`database server (COPY ... TO PROGRAM); run REVOKE %[1]s_g FROM %[1]s`},
		{"may SET ROLE to a CREATEROLE role",
			`CREATE ROLE %[1]s_g NOLOGIN CREATEROLE; GRANT %[1]s_g TO %[1]s`,
			`role "%[1]s" may SET ROLE to %[1]s_g, which has CREATEROLE, with which it can create and alter roles (on ` +
				`Postgres 15, grant itself pg_execute_server_program and run shell commands on the database server); ` +
				`run ALTER ROLE %[1]s_g NOCREATEROLE, or REVOKE %[1]s_g FROM %[1]s`},
		{"several", `ALTER ROLE %[1]s CREATEDB; GRANT pg_read_all_data TO %[1]s`,
			`role "%[1]s" is a member of pg_read_all_data, which reads every table of every database on the cluster, ` +
				`whatever the table's grants; run REVOKE pg_read_all_data FROM %[1]s; it also has CREATEDB`},
		{"large objects", `GRANT EXECUTE ON FUNCTION lo_create(oid) TO %[1]s`,
			`large objects are open: role "%[1]s" may create or read large objects, which row-level security does not cover and every tenant ` +
				`would share; as a superuser, in database %[2]s, run: REVOKE EXECUTE ON FUNCTION lo_create(oid) FROM PUBLIC, %[1]s ` +
				`(where no superuser exists, as on managed Postgres, ALLOW_LARGE_OBJECTS=true accepts the risk)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role, pool := throwawayRole(t, d, tt.setup)
			err := database.CheckRuntimeRole(t.Context(), pool, dbtest.Roles)
			want := "unsafe runtime database role: " + fmt.Sprintf(tt.want, role, d.Name)
			if !errors.Is(err, database.ErrUnsafeRole) || err.Error() != want {
				t.Errorf("got  %v\nwant %s", err, want)
			}
			// Only the large-object refusal is one a deployment may accept.
			if errors.Is(err, database.ErrLargeObjectsOpen) != (tt.name == "large objects") {
				t.Errorf("errors.Is(err, ErrLargeObjectsOpen) = %v for %s", !(tt.name == "large objects"), tt.name)
			}
		})
	}
}

// throwawayRole creates a runtime login role (a member of the runtime group
// that may connect to d), runs setup
// (%[1]s is the role; the names <role>_g and <role>_h are free for helper
// roles) as the owner, and returns the role and a pool connected as it.
// The roles go when the test ends.
func throwawayRole(t *testing.T, d *dbtest.DB, setup string) (string, *pgxpool.Pool) {
	t.Helper()
	role := "tk_rights_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	t.Cleanup(func() {
		ctx := context.Background()
		for _, sql := range []string{
			"DROP ROLE IF EXISTS " + role + "_g", // lower-case letters, digits and _: no quoting needed
			"DROP ROLE IF EXISTS " + role + "_h",
			"DROP OWNED BY " + role, // its privileges, CONNECT included
			"DROP ROLE " + role,
		} {
			if _, err := d.Owner.Exec(ctx, sql); err != nil {
				t.Errorf("cleanup: %s: %v", sql, err)
			}
		}
	})
	stmts := "CREATE ROLE " + role + " LOGIN; GRANT CONNECT ON DATABASE " + pgx.Identifier{d.Name}.Sanitize() + " TO " + role + ";" +
		"GRANT " + dbtest.Roles.App + " TO " + role + ";" + fmt.Sprintf(setup, role)
	if _, err := d.Owner.Exec(t.Context(), stmts); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	pool, err := database.Open(t.Context(), u.String(), database.PoolConfig{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return role, pool
}
