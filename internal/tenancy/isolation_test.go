package tenancy_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/dbtest"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// world is two tenants, A and B, each with one member and one project.
type world struct {
	db               *dbtest.DB
	tenantA, tenantB uuid.UUID
	userA, userB     uuid.UUID
	projA, projB     uuid.UUID
}

// newWorld creates fixtures as the owner; the code under test then runs as
// the runtime role.
func newWorld(t *testing.T) world {
	t.Helper()
	d := dbtest.New(t)
	ctx := t.Context()
	w := world{db: d}
	suffix := strings.ToLower(uuid.NewString()[:8])
	mk := func(slug string) (tenant, user, project uuid.UUID) {
		err := d.Owner.QueryRow(ctx, `
WITH t AS (INSERT INTO tenants (slug, name) VALUES ($1, $1) RETURNING id),
     u AS (INSERT INTO users (email, name) VALUES ($1 || '@example.com', $1) RETURNING id),
     m AS (INSERT INTO memberships (tenant_id, user_id, role) SELECT t.id, u.id, 'owner' FROM t, u),
     p AS (INSERT INTO projects (tenant_id, name, created_by) SELECT t.id, 'project of ' || $1, u.id FROM t, u RETURNING id)
SELECT t.id, u.id, p.id FROM t, u, p`, slug+"-"+suffix).Scan(&tenant, &user, &project)
		if err != nil {
			t.Fatalf("fixtures: %v", err)
		}
		return
	}
	w.tenantA, w.userA, w.projA = mk("a")
	w.tenantB, w.userB, w.projB = mk("b")
	return w
}

func newManager(t *testing.T, pool *pgxpool.Pool) *tenancy.Manager {
	t.Helper()
	ident, err := identity.New(pool, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return tenancy.NewManager(pool, ident, dbtest.New(t).Key, time.Second)
}

// scope sets the transaction's tenant as tenancy.Run does: the id and its
// signature for this connection.
func scope(t *testing.T, tx pgx.Tx, key database.ContextKey, tenant uuid.UUID) {
	t.Helper()
	sig := key.Sign(tenant, tx.Conn().PgConn().PID())
	if _, err := tx.Exec(t.Context(), "SELECT set_config('app.tenant_id', $1, true), set_config('app.tenant_sig', $2, true)",
		tenant.String(), sig); err != nil {
		t.Fatal(err)
	}
}

// inTenant runs fn in a transaction of the tenant login role, scoped to
// tenant (uuid.Nil: no setting at all), then rolls back.
func inTenant(t *testing.T, pool *pgxpool.Pool, tenant uuid.UUID, fn func(tx pgx.Tx)) {
	t.Helper()
	tx, err := pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(t.Context()))
	if tenant != uuid.Nil {
		scope(t, tx, dbtest.New(t).Key, tenant)
	}
	fn(tx)
}

func count(t *testing.T, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := q.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func isRLSViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501" // insufficient_privilege: new row violates row-level security policy
}

// TestSQLIsolation checks the policies themselves, as the runtime role.
func TestSQLIsolation(t *testing.T) {
	w := newWorld(t)
	app := w.db.Tenant

	t.Run("no tenant set: reads see nothing", func(t *testing.T) {
		inTenant(t, app, uuid.Nil, func(tx pgx.Tx) {
			for _, table := range []string{"projects", "memberships"} {
				if got := count(t, tx, "SELECT count(*) FROM "+table); got != 0 {
					t.Errorf("%s: got %d rows, want 0", table, got)
				}
			}
		})
	})
	t.Run("no tenant set: inserts fail", func(t *testing.T) {
		inTenant(t, app, uuid.Nil, func(tx pgx.Tx) {
			_, err := tx.Exec(t.Context(), "INSERT INTO projects (tenant_id, name, created_by) VALUES ($1, 'x', $2)", w.tenantA, w.userA)
			if !isRLSViolation(err) {
				t.Errorf("got %v, want an RLS violation", err)
			}
		})
	})
	t.Run("empty tenant set: reads see nothing", func(t *testing.T) {
		inTenant(t, app, uuid.Nil, func(tx pgx.Tx) {
			if _, err := tx.Exec(t.Context(), "SELECT set_config('app.tenant_id', '', true)"); err != nil {
				t.Fatal(err)
			}
			if got := count(t, tx, "SELECT count(*) FROM projects"); got != 0 {
				t.Errorf("got %d rows, want 0", got)
			}
		})
	})
	t.Run("tenant A set: only A's rows", func(t *testing.T) {
		inTenant(t, app, w.tenantA, func(tx pgx.Tx) {
			rows, err := tx.Query(t.Context(), "SELECT id FROM projects")
			if err != nil {
				t.Fatal(err)
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != 1 || ids[0] != w.projA {
				t.Errorf("got %v, want only A's project %v", ids, w.projA)
			}
			if got := count(t, tx, "SELECT count(*) FROM projects WHERE tenant_id = $1", w.tenantB); got != 0 {
				t.Errorf("asking for B's rows by tenant_id: got %d, want 0", got)
			}
			if got := count(t, tx, "SELECT count(*) FROM memberships"); got != 1 {
				t.Errorf("memberships: got %d, want A's 1", got)
			}
		})
	})
	t.Run("tenant A set: inserting B's tenant_id fails", func(t *testing.T) {
		inTenant(t, app, w.tenantA, func(tx pgx.Tx) {
			_, err := tx.Exec(t.Context(), "INSERT INTO projects (tenant_id, name, created_by) VALUES ($1, 'sneaky', $2)", w.tenantB, w.userA)
			if !isRLSViolation(err) {
				t.Errorf("got %v, want an RLS violation", err)
			}
		})
	})
	t.Run("tenant A set: moving a row to B fails", func(t *testing.T) {
		inTenant(t, app, w.tenantA, func(tx pgx.Tx) {
			_, err := tx.Exec(t.Context(), "UPDATE projects SET tenant_id = $1 WHERE id = $2", w.tenantB, w.projA)
			if !isRLSViolation(err) {
				t.Errorf("got %v, want an RLS violation", err)
			}
		})
	})
	t.Run("tenant A set: updating or deleting B's rows touches nothing", func(t *testing.T) {
		inTenant(t, app, w.tenantA, func(tx pgx.Tx) {
			for _, sql := range []string{
				"UPDATE projects SET name = 'owned' WHERE id = $1",
				"DELETE FROM projects WHERE id = $1",
			} {
				tag, err := tx.Exec(t.Context(), sql, w.projB)
				if err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
				if tag.RowsAffected() != 0 {
					t.Errorf("%s: touched %d rows, want 0", sql, tag.RowsAffected())
				}
			}
		})
		inTenant(t, app, w.tenantB, func(tx pgx.Tx) {
			if got := count(t, tx, "SELECT count(*) FROM projects WHERE id = $1 AND name <> 'owned'", w.projB); got != 1 {
				t.Errorf("B's project changed or vanished")
			}
		})
	})
	t.Run("tenant role cannot truncate", func(t *testing.T) {
		_, err := app.Exec(t.Context(), "TRUNCATE projects")
		if !isRLSViolation(err) { // 42501 is also "permission denied"
			t.Errorf("got %v, want permission denied", err)
		}
	})
	t.Run("runtime role cannot touch tenant tables", func(t *testing.T) {
		_, err := w.db.App.Exec(t.Context(), "SELECT count(*) FROM projects")
		if !isRLSViolation(err) {
			t.Errorf("got %v, want permission denied", err)
		}
	})
}

// TestRunScopesToTenant checks the tenant transaction end to end.
func TestRunScopesToTenant(t *testing.T) {
	w := newWorld(t)
	m := newManager(t, w.db.Tenant)

	t.Run("member sees only their tenant", func(t *testing.T) {
		err := m.Run(t.Context(), w.tenantA, w.userA, func(ctx context.Context) error {
			scope, ok := tenancy.FromContext(ctx)
			if !ok || scope.TenantID != w.tenantA || scope.UserID != w.userA {
				t.Errorf("scope = %+v, %v", scope, ok)
			}
			if got := count(t, tenancy.DB(ctx), "SELECT count(*) FROM projects"); got != 1 {
				t.Errorf("got %d projects, want 1", got)
			}
			if role, err := tenancy.Role(ctx); err != nil || role != identity.RoleOwner {
				t.Errorf("Role = %q, %v; want owner", role, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("role before the first statement", func(t *testing.T) {
		err := m.Run(t.Context(), w.tenantA, w.userA, func(ctx context.Context) error {
			if role, err := tenancy.Role(ctx); err != nil || role != identity.RoleOwner {
				t.Errorf("Role = %q, %v; want owner", role, err)
			}
			if got := count(t, tenancy.DB(ctx), "SELECT count(*) FROM projects"); got != 1 {
				t.Errorf("got %d projects, want 1", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	// The membership check travels in one pipeline with the first
	// statement; a failed check must stop that statement from running at
	// all, not merely roll it back. A session-level advisory lock outlives
	// a rollback, so it shows whether the statement ran.
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("non-member: ErrTenantNotFound, no statement runs (handler ignores the error: %v)", ignore), func(t *testing.T) {
			lock := rand.Int64()
			var stmtErr, roleErr error
			err := m.Run(t.Context(), w.tenantB, w.userA, func(ctx context.Context) error {
				_, stmtErr = tenancy.DB(ctx).Exec(ctx, "SELECT pg_advisory_lock($1)", lock)
				_, roleErr = tenancy.Role(ctx)
				if ignore {
					return nil
				}
				return stmtErr
			})
			if !errors.Is(err, tenancy.ErrTenantNotFound) || !errors.Is(stmtErr, tenancy.ErrTenantNotFound) || !errors.Is(roleErr, tenancy.ErrTenantNotFound) {
				t.Errorf("Run = %v, statement = %v, Role = %v; want ErrTenantNotFound for each", err, stmtErr, roleErr)
			}
			var free bool
			if err := w.db.Owner.QueryRow(t.Context(), "SELECT pg_try_advisory_lock($1)", lock).Scan(&free); err != nil {
				t.Fatal(err)
			}
			if !free {
				t.Error("the non-member's statement ran: its advisory lock is held")
			}
			if _, err := w.db.Owner.Exec(t.Context(), "SELECT pg_advisory_unlock($1)", lock); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("non-member whose handler sends no statement", func(t *testing.T) {
		called := false
		err := m.Run(t.Context(), w.tenantB, w.userA, func(context.Context) error { called = true; return nil })
		if !errors.Is(err, tenancy.ErrTenantNotFound) || !called {
			t.Errorf("got %v (fn called: %v), want ErrTenantNotFound after fn", err, called)
		}
	})
	t.Run("unknown tenant answers like a foreign one", func(t *testing.T) {
		err := m.Run(t.Context(), uuid.New(), w.userA, func(context.Context) error { return nil })
		if !errors.Is(err, tenancy.ErrTenantNotFound) {
			t.Errorf("got %v, want ErrTenantNotFound", err)
		}
	})
	t.Run("no tenant", func(t *testing.T) {
		err := m.Run(t.Context(), uuid.Nil, w.userA, func(context.Context) error { return nil })
		if !errors.Is(err, tenancy.ErrTenantRequired) {
			t.Errorf("got %v, want ErrTenantRequired", err)
		}
	})
	t.Run("error rolls back", func(t *testing.T) {
		boom := errors.New("boom")
		err := m.Run(t.Context(), w.tenantA, w.userA, func(ctx context.Context) error {
			if _, err := tenancy.DB(ctx).Exec(ctx, "INSERT INTO projects (tenant_id, name, created_by) VALUES ($1, 'rolled back', $2)", w.tenantA, w.userA); err != nil {
				t.Fatal(err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want boom", err)
		}
		if got := count(t, w.db.Owner, "SELECT count(*) FROM projects WHERE name = 'rolled back'"); got != 0 {
			t.Errorf("the insert survived a failed Run")
		}
	})
	t.Run("success commits", func(t *testing.T) {
		err := m.Run(t.Context(), w.tenantA, w.userA, func(ctx context.Context) error {
			_, err := tenancy.DB(ctx).Exec(ctx, "INSERT INTO projects (tenant_id, name, created_by) VALUES ($1, 'committed', $2)", w.tenantA, w.userA)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := count(t, w.db.Owner, "SELECT count(*) FROM projects WHERE tenant_id = $1 AND name = 'committed'", w.tenantA); got != 1 {
			t.Errorf("got %d committed rows, want 1", got)
		}
	})
	t.Run("disabled member is refused", func(t *testing.T) {
		if _, err := w.db.Owner.Exec(t.Context(), "UPDATE users SET disabled_at = now() WHERE id = $1", w.userB); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []bool{false, true} {
			err := m.Run(t.Context(), w.tenantB, w.userB, func(ctx context.Context) error {
				if stmt {
					_, err := tenancy.DB(ctx).Exec(ctx, "SELECT 1")
					return err
				}
				return nil
			})
			if !errors.Is(err, identity.ErrUserNotFound) {
				t.Errorf("with a statement: %v: got %v, want identity.ErrUserNotFound (answered like no session)", stmt, err)
			}
		}
	})
	t.Run("removed member is refused on the next call", func(t *testing.T) {
		if _, err := w.db.Owner.Exec(t.Context(), "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2", w.tenantA, w.userA); err != nil {
			t.Fatal(err)
		}
		err := m.Run(t.Context(), w.tenantA, w.userA, func(context.Context) error { return nil })
		if !errors.Is(err, tenancy.ErrTenantNotFound) {
			t.Errorf("got %v, want ErrTenantNotFound", err)
		}
	})
}

func TestDBOutsideRunFailsClosed(t *testing.T) {
	db := tenancy.DB(t.Context())
	if _, err := db.Exec(t.Context(), "SELECT 1"); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("Exec: got %v, want ErrNoTenant", err)
	}
	rows, err := db.Query(t.Context(), "SELECT 1")
	if !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("Query: got %v, want ErrNoTenant", err)
	}
	if rows != nil {
		rows.Close()
		t.Errorf("Query returned rows (err %v)", rows.Err())
	}
	if err := db.QueryRow(t.Context(), "SELECT 1").Scan(new(int)); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("QueryRow: got %v, want ErrNoTenant", err)
	}
}

// TestNoLeakAcrossPooledConnection runs a tenant-B request and then one that
// sets no tenant on a pool of ONE connection: the second must see nothing,
// whatever way the first ended.
func TestNoLeakAcrossPooledConnection(t *testing.T) {
	w := newWorld(t)
	pool := w.db.TenantPool(t, 1)
	m := newManager(t, pool)

	endings := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"success", func(t *testing.T) {
			if err := m.Run(t.Context(), w.tenantB, w.userB, func(ctx context.Context) error {
				count(t, tenancy.DB(ctx), "SELECT count(*) FROM projects")
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}},
		{"error", func(t *testing.T) {
			err := m.Run(t.Context(), w.tenantB, w.userB, func(ctx context.Context) error {
				_, err := tenancy.DB(ctx).Exec(ctx, "SELECT 1/0")
				return err
			})
			if err == nil {
				t.Fatal("want an error")
			}
		}},
		{"panic", func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("want the panic to propagate")
				}
			}()
			_ = m.Run(t.Context(), w.tenantB, w.userB, func(ctx context.Context) error { panic("handler bug") })
		}},
		{"cancelled context", func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			err := m.Run(ctx, w.tenantB, w.userB, func(ctx context.Context) error {
				go func() { time.Sleep(50 * time.Millisecond); cancel() }()
				_, err := tenancy.DB(ctx).Exec(ctx, "SELECT pg_sleep(5)")
				return err
			})
			if err == nil {
				t.Fatal("want an error from the cancelled query")
			}
		}},
		{"timeout", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			err := m.Run(ctx, w.tenantB, w.userB, func(ctx context.Context) error {
				_, err := tenancy.DB(ctx).Exec(ctx, "SELECT pg_sleep(5)")
				return err
			})
			if err == nil {
				t.Fatal("want an error from the timed-out query")
			}
		}},
	}
	backend := func(t *testing.T) int {
		return count(t, pool, "SELECT pg_backend_pid()")
	}
	for _, e := range endings {
		t.Run(e.name, func(t *testing.T) {
			before := backend(t)
			e.run(t)
			// Success, an SQL error and a panic must leave the connection
			// reusable, so the checks below run on the very same session;
			// pgx closes a connection whose query was cancelled.
			reused := backend(t) == before
			if !reused && (e.name == "success" || e.name == "error" || e.name == "panic") {
				t.Errorf("after %s: the connection was replaced, so the test proves nothing about reuse", e.name)
			}
			// The next "request" on the same (only) connection sets no tenant.
			inTenant(t, pool, uuid.Nil, func(tx pgx.Tx) {
				if got := count(t, tx, "SELECT count(*) FROM projects"); got != 0 {
					t.Errorf("after %s: a request without a tenant saw %d rows", e.name, got)
				}
			})
			var setting *string
			var role string
			if err := pool.QueryRow(t.Context(), "SELECT nullif(current_setting('app.tenant_id', true), ''), current_user").Scan(&setting, &role); err != nil {
				t.Fatal(err)
			}
			if setting != nil {
				t.Errorf("after %s: app.tenant_id = %q survived on the pooled connection", e.name, *setting)
			}
			if role != dbtest.TenantLoginRole {
				t.Errorf("after %s: current_user = %q on the pooled connection, want %q", e.name, role, dbtest.TenantLoginRole)
			}
		})
	}
}

// TestTenantTransactionPrivileges: inside a tenant transaction the caller is
// the tenant role, which reaches tenant tables under RLS and nothing else.
func TestTenantTransactionPrivileges(t *testing.T) {
	w := newWorld(t)
	m := newManager(t, w.db.Tenant)
	denied := []string{
		"SELECT hash FROM password_credentials",
		"SELECT count(*) FROM sessions",
		"DELETE FROM tenants WHERE id = '" + w.tenantB.String() + "'",
		"UPDATE tenants SET name = 'x'",
		"UPDATE users SET name = 'x'",
		"SELECT created_at FROM users",
		"INSERT INTO memberships (tenant_id, user_id, role) VALUES ('" + w.tenantA.String() + "', '" + w.userB.String() + "', 'owner')",
		"DELETE FROM memberships",
		"TRUNCATE projects",
		"SELECT count(*) FROM goose_db_version",
	}
	for _, sql := range denied {
		t.Run(sql, func(t *testing.T) {
			err := m.Run(t.Context(), w.tenantA, w.userA, func(ctx context.Context) error {
				_, err := tenancy.DB(ctx).Exec(ctx, sql)
				return err
			})
			if !isRLSViolation(err) {
				t.Errorf("got %v, want permission denied", err)
			}
		})
	}
	t.Run("allowed reads", func(t *testing.T) {
		err := m.Run(t.Context(), w.tenantA, w.userA, func(ctx context.Context) error {
			db := tenancy.DB(ctx)
			if got := count(t, db, "SELECT count(*) FROM users WHERE id = $1 AND email <> ''", w.userA); got != 1 {
				t.Errorf("own user row: %d", got)
			}
			// A user's memberships in other tenants stay invisible, even
			// with app.user_id set: that policy is for identity only.
			if _, err := db.Exec(ctx, "SELECT set_config('app.user_id', $1, true)", w.userB.String()); err != nil {
				return err
			}
			if got := count(t, db, "SELECT count(*) FROM memberships WHERE tenant_id <> $1", w.tenantA); got != 0 {
				t.Errorf("saw %d memberships of other tenants", got)
			}
			// The directories show this tenant and its members only.
			if got := count(t, db, "SELECT count(*) FROM users WHERE id = $1", w.userB); got != 0 {
				t.Errorf("saw a user of another tenant")
			}
			if got := count(t, db, "SELECT count(*) FROM tenants"); got != 1 {
				t.Errorf("saw %d tenants, want only its own", got)
			}
			if got := count(t, db, "SELECT count(*) FROM tenants WHERE id = $1", w.tenantB); got != 0 {
				t.Errorf("saw another tenant")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestForceAppliesToTheOwner: with FORCE, even the tables' owner (a
// non-superuser, as in production) sees no rows without a tenant. Removing
// FORCE from a tenant table makes this fail, not only the audit.
func TestForceAppliesToTheOwner(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	tx, err := w.db.Owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Role and ownership changes are transactional: all of this rolls back.
	for _, sql := range []string{
		"CREATE ROLE tk_force_owner NOLOGIN",
		"GRANT USAGE ON SCHEMA app TO tk_force_owner",
		"ALTER TABLE projects OWNER TO tk_force_owner",
		"ALTER TABLE memberships OWNER TO tk_force_owner",
		"SET LOCAL ROLE tk_force_owner",
	} {
		if _, err := tx.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	for _, table := range []string{"projects", "memberships"} {
		if got := count(t, tx, "SELECT count(*) FROM "+table); got != 0 {
			t.Errorf("the owner of %s saw %d rows without a tenant; is RLS forced?", table, got)
		}
	}
	scope(t, tx, w.db.Key, w.tenantA)
	if got := count(t, tx, "SELECT count(*) FROM projects"); got != 1 {
		t.Errorf("the owner in tenant A saw %d projects, want 1", got)
	}
}

// TestObserveTransactions: each Run reports how it ended.
func TestObserveTransactions(t *testing.T) {
	w := newWorld(t)
	m := newManager(t, w.db.Tenant)
	var got []string
	m.ObserveTransactions(func(d time.Duration, outcome string) {
		if d <= 0 {
			t.Errorf("duration %v", d)
		}
		got = append(got, outcome)
	})
	query := func(ctx context.Context) error {
		_, err := tenancy.DB(ctx).Exec(ctx, "SELECT count(*) FROM projects")
		return err
	}
	_ = m.Run(t.Context(), w.tenantA, w.userA, query)                                                     // commit
	_ = m.Run(t.Context(), w.tenantA, w.userA, func(context.Context) error { return nil })                // no statement: commit
	_ = m.Run(t.Context(), w.tenantB, w.userA, query)                                                     // refused: rollback
	_ = m.Run(t.Context(), w.tenantA, w.userA, func(context.Context) error { return errors.New("boom") }) // rollback
	func() {
		defer func() { _ = recover() }()
		_ = m.Run(t.Context(), w.tenantA, w.userA, func(ctx context.Context) error { _ = query(ctx); panic("boom") })
	}()
	want := []string{tenancy.TxCommit, tenancy.TxCommit, tenancy.TxRollback, tenancy.TxRollback, tenancy.TxRollback}
	if !slices.Equal(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
}
