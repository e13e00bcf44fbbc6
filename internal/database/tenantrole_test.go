package database_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

func TestCheckTenantRole(t *testing.T) {
	d := dbtest.New(t)
	if err := database.CheckTenantRole(t.Context(), d.Tenant, dbtest.Roles); err != nil {
		t.Fatalf("the test tenant role: %v", err)
	}
	tests := []struct {
		name  string
		setup string // %[1]s is the role
		want  string // in the refusal; "" means accepted
	}{
		{"a member of the tenant role only", `GRANT tenantkit_tenant TO %[1]s`, ""},
		{"lacks the tenant role", ``, "lacks the rights of tenantkit_tenant"},
		{"superuser", `GRANT tenantkit_tenant TO %[1]s; ALTER ROLE %[1]s SUPERUSER`, "superuser"},
		{"bypassrls", `GRANT tenantkit_tenant TO %[1]s; ALTER ROLE %[1]s BYPASSRLS`, "BYPASSRLS"},
		{"also the runtime group", `GRANT tenantkit_tenant, tenantkit_app TO %[1]s`, "member of tenantkit_app"},
		{"another role besides", `GRANT tenantkit_tenant TO %[1]s; CREATE ROLE %[1]s_x NOLOGIN; GRANT %[1]s_x TO %[1]s`, "_x]"},
		{"owner of a table", `GRANT tenantkit_tenant TO %[1]s; ALTER TABLE projects OWNER TO %[1]s`, "owns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role := "tk_tcheck_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
			t.Cleanup(func() {
				ctx := context.Background()
				for _, sql := range []string{
					"ALTER TABLE projects OWNER TO CURRENT_USER",
					"REVOKE CONNECT ON DATABASE " + pgx.Identifier{d.Name}.Sanitize() + " FROM " + role,
					"DROP ROLE IF EXISTS " + role + "_x",
					"DROP OWNED BY " + role,
					"DROP ROLE IF EXISTS " + role,
				} {
					if _, err := d.Owner.Exec(ctx, sql); err != nil {
						t.Errorf("cleanup: %s: %v", sql, err)
					}
				}
			})
			stmts := "CREATE ROLE " + role + " LOGIN; GRANT CONNECT ON DATABASE " + pgx.Identifier{d.Name}.Sanitize() + " TO " + role + ";"
			if tt.setup != "" {
				stmts += strings.ReplaceAll(tt.setup, "%[1]s", role)
			}
			for s := range strings.SplitSeq(stmts, ";") {
				if strings.TrimSpace(s) == "" {
					continue
				}
				if _, err := d.Owner.Exec(t.Context(), s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			pool, err := database.Open(t.Context(), strings.Replace(d.TenantURL, dbtest.TenantLoginRole, role, 1), database.PoolConfig{MaxConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			err = database.CheckTenantRole(t.Context(), pool, dbtest.Roles)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (!errors.Is(err, database.ErrUnsafeRole) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want ErrUnsafeRole mentioning %q", err, tt.want)
			}
		})
	}
}

func TestParseContextKey(t *testing.T) {
	tests := []struct {
		in      string
		wantLen int // 0: an error
	}{
		{strings.Repeat("ab", 32), 32},
		{strings.Repeat("ab", 64), 64},
		{"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=", 32},
		{"", 0},
		{strings.Repeat("ab", 31), 0},
		{"not a key", 0},
	}
	for _, tt := range tests {
		k, err := database.ParseContextKey(tt.in)
		if (err == nil) != (tt.wantLen > 0) || len(k) != tt.wantLen {
			t.Errorf("ParseContextKey(%q) = %d bytes, %v; want %d bytes", tt.in, len(k), err, tt.wantLen)
		}
	}
}
