package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

// TestTenantIsolationSurvivesSQLInjection runs what an attacker with an
// injectable query in a fork's domain code would run, inside a real tenant
// transaction of tenant A (tenancy.Run, as every tenant-scoped request), and
// checks that none of it reaches tenant B's rows or any identity row.
func TestTenantIsolationSurvivesSQLInjection(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T, e *apptest.Env) {
		alice, bob := e.Signup("alice"), e.Signup("bob")
		ta, tb := alice.CreateTenant("Acme"), bob.CreateTenant("Bobco")
		createProject(t, alice, ta, "A's project")
		bProject := mustUUID(t, createProject(t, bob, tb, "B's project"))
		tenantA, tenantB := mustUUID(t, ta.ID), mustUUID(t, tb.ID)
		userA, userB := mustUUID(t, alice.ID), mustUUID(t, bob.ID)

		// inA runs fn inside tenant A's transaction, as alice.
		inA := func(t *testing.T, fn func(ctx context.Context, db tenancy.DBTX) error) {
			t.Helper()
			err := e.App.Tenancy.Run(t.Context(), tenantA, userA, func(ctx context.Context) error {
				return fn(ctx, tenancy.DB(ctx))
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// seesNoB fails when the transaction sees any of B's rows.
		seesNoB := func(t *testing.T, ctx context.Context, db tenancy.DBTX) {
			t.Helper()
			for _, q := range []struct{ what, sql string }{
				{"B's projects", "SELECT count(*) FROM projects WHERE tenant_id = '" + tenantB.String() + "'"},
				{"B's project by id", "SELECT count(*) FROM projects WHERE id = '" + bProject.String() + "'"},
				{"B's memberships", "SELECT count(*) FROM memberships WHERE tenant_id = '" + tenantB.String() + "'"},
				{"B's tenant", "SELECT count(*) FROM tenants WHERE id = '" + tenantB.String() + "'"},
				{"B's user", "SELECT count(*) FROM users WHERE id = '" + userB.String() + "'"},
			} {
				var n int
				if err := db.QueryRow(ctx, q.sql).Scan(&n); err != nil {
					t.Fatalf("%s: %v", q.what, err)
				}
				if n != 0 {
					t.Errorf("saw %d of %s", n, q.what)
				}
			}
		}

		t.Run("set app.tenant_id to another tenant", func(t *testing.T) {
			inA(t, func(ctx context.Context, db tenancy.DBTX) error {
				if _, err := db.Exec(ctx, "SELECT set_config('app.tenant_id', $1, true)", tenantB.String()); err != nil {
					return err
				}
				seesNoB(t, ctx, db)
				var current *uuid.UUID
				if err := db.QueryRow(ctx, "SELECT app.current_tenant_id()").Scan(&current); err != nil {
					return err
				}
				if current != nil {
					t.Errorf("app.current_tenant_id() = %v after an unsigned change, want NULL", *current)
				}
				return nil
			})
		})

		t.Run("copy another connection's signed setting", func(t *testing.T) {
			// A request in tenant B holds its transaction open; its setting
			// (what an attacker could read from pg_stat_activity) is copied.
			var id, sig string
			bStarted, release := make(chan struct{}), make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- e.App.Tenancy.Run(context.WithoutCancel(t.Context()), tenantB, userB, func(ctx context.Context) error {
					err := tenancy.DB(ctx).QueryRow(ctx, "SELECT current_setting('app.tenant_id'), current_setting('app.tenant_sig')").Scan(&id, &sig)
					close(bStarted)
					<-release
					return err
				})
			}()
			<-bStarted
			inA(t, func(ctx context.Context, db tenancy.DBTX) error {
				if _, err := db.Exec(ctx, "SELECT set_config('app.tenant_id', $1, true), set_config('app.tenant_sig', $2, true)", id, sig); err != nil {
					return err
				}
				seesNoB(t, ctx, db)
				return nil
			})
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})

		t.Run("RESET ROLE and read identity tables", func(t *testing.T) {
			for _, sql := range []string{
				"SELECT count(*) FROM password_credentials",
				"SELECT count(*) FROM sessions",
				"SELECT count(*) FROM users WHERE id = '" + userB.String() + "'",
				"SELECT count(*) FROM tenants WHERE id = '" + tenantB.String() + "'",
				"SELECT count(*) FROM memberships WHERE user_id = '" + userB.String() + "'",
				"SELECT count(*) FROM app_private.tenant_context_key",
			} {
				err := e.App.Tenancy.Run(t.Context(), tenantA, userA, func(ctx context.Context) error {
					db := tenancy.DB(ctx)
					if _, err := db.Exec(ctx, "RESET ROLE"); err != nil {
						return err
					}
					var n int
					if err := db.QueryRow(ctx, sql).Scan(&n); err != nil {
						return err
					}
					if n != 0 {
						t.Errorf("after RESET ROLE, %s = %d, want 0 or permission denied", sql, n)
					}
					return nil
				})
				if err != nil && !isPermissionDenied(err) {
					t.Errorf("after RESET ROLE, %s: %v", sql, err)
				}
			}
			for _, sql := range []string{"SET ROLE tenantkit_app", "SET ROLE postgres", "SET SESSION AUTHORIZATION postgres"} {
				err := e.App.Tenancy.Run(t.Context(), tenantA, userA, func(ctx context.Context) error {
					_, err := tenancy.DB(ctx).Exec(ctx, sql)
					return err
				})
				if !isPermissionDenied(err) {
					t.Errorf("%s inside a tenant transaction: %v, want permission denied", sql, err)
				}
			}
		})

		t.Run("call every function it can see", func(t *testing.T) {
			var fns []string
			inA(t, func(ctx context.Context, db tenancy.DBTX) error {
				rows, err := db.Query(ctx, `
SELECT p.oid::regprocedure::text, p.pronargs
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
  AND has_schema_privilege(n.oid, 'USAGE') AND has_function_privilege(p.oid, 'EXECUTE')
  AND p.prokind = 'f'`)
				if err != nil {
					return err
				}
				type fn struct {
					sig   string
					nargs int16
				}
				got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fn, error) {
					var f fn
					return f, r.Scan(&f.sig, &f.nargs)
				})
				if err != nil {
					return err
				}
				for _, f := range got {
					fns = append(fns, f.sig)
				}
				return nil
			})
			// Every function the tenant role can call, called with NULLs
			// in its own transaction; none may open B's rows.
			for _, f := range fns {
				call := "SELECT " + callWithNulls(f)
				errRefused := errors.New("refused")
				err := e.App.Tenancy.Run(t.Context(), tenantA, userA, func(ctx context.Context) error {
					db := tenancy.DB(ctx)
					if _, err := db.Exec(ctx, call); err != nil {
						return fmt.Errorf("%w: %w", errRefused, err) // what we want; the transaction is aborted
					}
					seesNoB(t, ctx, db)
					return nil
				})
				if err != nil && !errors.Is(err, errRefused) {
					t.Errorf("%s: %v", call, err)
				}
			}
			// app.member_role(uuid): a user's role in the current tenant,
			// which the tenant role reads in memberships anyway.
			// app.admin_access_role(uuid) and app.is_platform_admin(uuid)
			// (SECURITY DEFINER): the same for a platform admin's opt-in,
			// and whether a user is an enabled platform admin (for the
			// audit stamp); they tell whether a user id is a platform
			// admin's, and open no row. app.api_key_role(uuid) (SECURITY
			// INVOKER): an API key's role in the current tenant, which the
			// tenant role reads in api_keys anyway.
			slices.Sort(fns)
			if !slices.Equal(fns, []string{"app.admin_access_role(uuid)", "app.api_key_role(uuid)", "app.current_tenant_id()", "app.is_platform_admin(uuid)", "app.member_role(uuid)"}) {
				t.Errorf("the tenant role may call %v; review each new function for what it opens, then update this list", fns)
			}
		})
	})
}

// callWithNulls turns "app.f(uuid,text)" into "app.f(NULL::uuid,NULL::text)".
func callWithNulls(sig string) string {
	name, args, _ := strings.Cut(strings.TrimSuffix(sig, ")"), "(")
	if args == "" {
		return sig
	}
	var out []string
	for a := range strings.SplitSeq(args, ",") {
		out = append(out, "NULL::"+strings.TrimSpace(a))
	}
	return name + "(" + strings.Join(out, ",") + ")"
}

func isPermissionDenied(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pgErr.Code == "42501"
}
