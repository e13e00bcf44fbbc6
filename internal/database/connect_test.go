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

func TestCheckConnect(t *testing.T) {
	d := dbtest.New(t)
	own := []string{dbtest.RuntimeRole, dbtest.TenantLoginRole}
	if err := database.CheckConnect(t.Context(), d.App, own...); err != nil {
		t.Fatalf("the test database: %v", err)
	}
	db := pgx.Identifier{d.Name}.Sanitize()
	other := "tk_conn_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	tests := []struct {
		name, grant, revoke, want string
	}{
		{"PUBLIC may connect", "GRANT CONNECT ON DATABASE " + db + " TO PUBLIC", "REVOKE CONNECT ON DATABASE " + db + " FROM PUBLIC", "CONNECT is granted to PUBLIC"},
		{"another deployment's role may connect", "CREATE ROLE " + other + " LOGIN; GRANT CONNECT ON DATABASE " + db + " TO " + other,
			"REVOKE CONNECT ON DATABASE " + db + " FROM " + other + "; DROP ROLE " + other, "roles " + other + " may connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exec := func(ctx context.Context, sqls string) {
				for s := range strings.SplitSeq(sqls, "; ") {
					if _, err := d.Owner.Exec(ctx, s); err != nil {
						t.Errorf("%s: %v", s, err)
					}
				}
			}
			exec(t.Context(), tt.grant)
			t.Cleanup(func() { exec(context.Background(), tt.revoke) })
			err := database.CheckConnect(t.Context(), d.App, own...)
			if !errors.Is(err, database.ErrUnsafeRole) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrUnsafeRole mentioning %q", err, tt.want)
			}
		})
	}
}
