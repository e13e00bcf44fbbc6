package database_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// TestCheckRuntimeRole connects as throwaway login roles set up in each
// unsafe way and expects CheckRuntimeRole to refuse them, naming why.
func TestCheckRuntimeRole(t *testing.T) {
	d := dbtest.New(t)
	if err := database.CheckRuntimeRole(t.Context(), d.App); err != nil {
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
		{"not in the runtime group", ``, "cannot switch"},
		{"inherits the tenant role", `GRANT tenantkit_tenant TO %s`, "inherits"},
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
			err = database.CheckRuntimeRole(ctx, pool)
			if !errors.Is(err, database.ErrUnsafeRole) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrUnsafeRole mentioning %q", err, tt.want)
			}
		})
	}
}
