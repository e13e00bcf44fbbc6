package database_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/internal/tenancytest"
)

// TestTenantCannotUseLargeObjects: large objects are outside row-level
// security and shared by every tenant, so inside a tenant transaction (and
// on the runtime role) creating, reading, writing or removing one is
// refused. The object read here is one the tenant role owns, as one that a
// tenant created before migration 00005 would be.
func TestTenantCannotUseLargeObjects(t *testing.T) {
	k := tenancytest.New(t)
	ctx := t.Context()
	var oid uint32
	if err := k.DB.Owner.QueryRow(ctx, "SELECT lo_from_bytea(0, 'a secret of tenant a')").Scan(&oid); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := k.DB.Owner.Exec(context.Background(), "SELECT lo_unlink($1)", oid); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	var alter string
	if err := k.DB.Owner.QueryRow(ctx, "SELECT format('ALTER LARGE OBJECT %s OWNER TO %I', $1::oid, $2::text)", oid, k.DB.Roles.Tenant).Scan(&alter); err != nil {
		t.Fatal(err)
	}
	if _, err := k.DB.Owner.Exec(ctx, alter); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, sql string
		args      []any
	}{
		{"lo_create", "SELECT lo_create(0)", nil},
		{"lo_creat", "SELECT lo_creat(-1)", nil},
		{"lo_from_bytea", "SELECT lo_from_bytea(0, 'x')", nil},
		{"server-side lo_import", "SELECT lo_import('/etc/hostname')", nil},
		{"lo_get", "SELECT lo_get($1)", []any{oid}},
		{"lo_open and loread", "SELECT loread(lo_open($1, 262144), 100)", []any{oid}}, // 262144: INV_READ
		{"lo_put", "SELECT lo_put($1, 0, 'x')", []any{oid}},
		{"pg_largeobject", "SELECT data FROM pg_largeobject WHERE loid = $1", []any{oid}},
		{"lo_unlink", "SELECT lo_unlink($1)", []any{oid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := k.Exec(t, k.B, tt.sql, tt.args...)
			if !isPermissionDenied(err) {
				t.Errorf("in tenant %s: %s: got %v, want permission denied", k.B, tt.sql, err)
			}
			_, err = k.DB.App.Exec(t.Context(), tt.sql, tt.args...)
			if !isPermissionDenied(err) {
				t.Errorf("as the runtime role: %s: got %v, want permission denied", tt.sql, err)
			}
		})
	}
}

func isPermissionDenied(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pgErr.Code == "42501"
}
