package app_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// TestDisabledUserSessionsDeletedWhenSeen: a user disabled behind the API's
// back (by SQL, so nothing revoked their sessions) is refused, and the
// request that finds them disabled deletes every session of theirs, so
// enabling them again brings none back: not the one that made the request,
// not another browser's that made none since.
func TestDisabledUserSessionsDeletedWhenSeen(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T, e *apptest.Env) {
		// The request that sees them: the caller's own record, or a
		// tenant-scoped route, whose membership check reads the user too.
		for _, path := range []string{"/api/me", "/api/projects"} {
			t.Run(path, func(t *testing.T) { disabledUserSeenBy(t, e, path) })
		}
	})
}

func disabledUserSeenBy(t *testing.T, e *apptest.Env, path string) {
	u := e.Signup("disabled-by-sql")
	id := mustUUID(t, u.ID)
	tn := u.CreateTenant("Disabled Co")
	second := e.Client()
	second.Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password})
	if got := liveSessions(t, e, id); got != 2 {
		t.Fatalf("before: %d sessions stored, want 2", got)
	}

	setDisabled(t, e, id, true)
	if r := u.Do("GET", path, nil, apptest.InTenant(tn)); r.Status != http.StatusUnauthorized || r.Code(t) != "unauthenticated" {
		t.Fatalf("disabled user GET %s: %d %s, want 401 unauthenticated", path, r.Status, r.Body)
	}
	if got := liveSessions(t, e, id); got != 0 {
		t.Errorf("after one request of the disabled user: %d sessions still stored, want 0", got)
	}

	setDisabled(t, e, id, false)
	for name, c := range map[string]*apptest.Client{"the browser that made the request": u.Client, "another browser": second} {
		if r := c.Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("re-enabled user, %s: GET /api/me = %d, want 401 (the session must stay deleted)", name, r.Status)
		}
	}
	// The account itself works again.
	e.Client().Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password})
}

// TestLoginRecheckDisabledDuringLogin: a user disabled after login checked
// the password but before the session was stored gets no session: the
// disable's revocation ran before the session existed, so login looks at
// the user again after storing it and takes it back. The disable is made
// to land in exactly that window: right after the password lookup.
func TestLoginRecheckDisabledDuringLogin(t *testing.T) {
	for _, store := range apptest.Stores() {
		for _, how := range []string{"DisableUser", "SQL"} {
			t.Run(store+"/"+how, func(t *testing.T) {
				d := dbtest.New(t)
				tr := &disableAfterPasswordLookup{t: t, owner: d.Owner}
				e := apptest.New(t, apptest.Options{Store: store, Pool: tracedAppPool(t, d, tr)})
				u := e.Signup("disabled-mid-login")
				id := mustUUID(t, u.ID)
				tr.disable = func(ctx context.Context) error {
					if how == "DisableUser" { // what `users disable` runs
						return e.App.Identity.DisableUser(ctx, id)
					}
					_, err := d.Owner.Exec(ctx, "UPDATE users SET disabled_at = now() WHERE id = $1", id)
					return err
				}
				// Only the session this login makes is in question.
				u.Must(http.StatusNoContent, "POST", "/api/auth/logout", nil)
				if n := liveSessions(t, e, id); n != 0 {
					t.Fatalf("after logout: %d sessions stored, want 0", n)
				}

				c := e.Client()
				tr.armed.Store(true)
				r := c.Do("POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password})
				if tr.armed.Load() || tr.fired.Load() != 1 {
					t.Fatalf("the disable did not run during the login (armed %v, fired %d)", tr.armed.Load(), tr.fired.Load())
				}
				if r.Status != http.StatusUnauthorized || r.Code(t) != "invalid_credentials" {
					t.Errorf("login of a user disabled mid-login: %d %s, want 401 invalid_credentials", r.Status, r.Body)
				}
				if tok := c.SessionCookie(); tok != "" {
					t.Errorf("login of a user disabled mid-login left the client a session cookie")
				}
				if got := liveSessions(t, e, id); got != 0 {
					t.Errorf("%d sessions stored for the user disabled mid-login, want 0", got)
				}
				// Enabling the user again brings back nothing the login made.
				setDisabled(t, e, id, false)
				if r := c.Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
					t.Errorf("after re-enabling: the mid-login client's GET /api/me = %d, want 401", r.Status)
				}
				if got := liveSessions(t, e, id); got != 0 {
					t.Errorf("after re-enabling: %d sessions stored, want 0", got)
				}
			})
		}
	}
}

// disableAfterPasswordLookup is a query tracer that, once armed, runs
// disable as soon as login's password lookup (identity's GetPasswordLogin)
// has returned its row: after the disabled check that lookup feeds, before
// the session is stored and the user re-checked.
type disableAfterPasswordLookup struct {
	t       testing.TB
	owner   *pgxpool.Pool
	disable func(ctx context.Context) error
	armed   atomic.Bool
	fired   atomic.Int32
}

type passwordLookupKey struct{}

func (d *disableAfterPasswordLookup) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if strings.Contains(data.SQL, "-- name: GetPasswordLogin ") {
		return context.WithValue(ctx, passwordLookupKey{}, true)
	}
	return ctx
}

func (d *disableAfterPasswordLookup) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	if ctx.Value(passwordLookupKey{}) == nil || data.Err != nil || !d.armed.CompareAndSwap(true, false) {
		return
	}
	d.fired.Add(1)
	if err := d.disable(ctx); err != nil {
		d.t.Errorf("disable during login: %v", err)
	}
}

// tracedAppPool is a runtime-role pool on d whose queries go through tr.
func tracedAppPool(t testing.TB, d *dbtest.DB, tr pgx.QueryTracer) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 8
	cfg.ConnConfig.Tracer = tr
	p, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// setDisabled disables or enables the user by SQL, as the owner: behind
// the app's back, so nothing revokes a session.
func setDisabled(t testing.TB, e *apptest.Env, id uuid.UUID, disabled bool) {
	t.Helper()
	sql := "UPDATE users SET disabled_at = NULL WHERE id = $1"
	if disabled {
		sql = "UPDATE users SET disabled_at = now() WHERE id = $1"
	}
	if _, err := e.DB.Owner.Exec(t.Context(), sql, id); err != nil {
		t.Fatal(err)
	}
}

// liveSessions counts the user's live sessions in the app's session store:
// the store's own per-user index, read through the session manager (which
// has no cache), and for Postgres the rows themselves.
func liveSessions(t testing.TB, e *apptest.Env, id uuid.UUID) int {
	t.Helper()
	list, err := e.App.Sessions.List(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := e.DB.Owner.QueryRow(t.Context(), "SELECT count(*) FROM sessions WHERE user_id = $1 AND expires_at > now()", id).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	return max(len(list), rows)
}
