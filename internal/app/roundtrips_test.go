package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// TestRoundTripBudgets (issue 8): the database and Redis round trips each
// route may cost in steady state, with both session stores. Every round
// trip is counted by a pgx tracer (a statement, a prepare or a pipelined
// batch is one) and a go-redis hook (a command or a pipeline is one), after
// warm-up requests have filled the connections' statement caches. A route
// over budget fails, listing what it ran.
//
// The budgets: GET /api/me reads the session (one store read) and the
// caller (one identity query: the user, the current tenant and the role),
// which identity's caller cache answers from memory once warm, so the
// session read is all. Both are measured: the "me" rows with the cache
// warm, the "no cache" rows with it turned off.
// A tenant-scoped read is the session read, one pipeline that holds BEGIN,
// the tenant setting, the membership check and the handler's query, and
// COMMIT. A write needs a permission that not every role holds
// (tenancy.Require), decided from the role before the handler's first
// statement runs: the pipeline (BEGIN, the setting, the membership check)
// goes alone, then the write, then COMMIT; each further statement of a
// handler adds one. Naming the tenant by slug adds the query that resolves
// it (an id or the session's tenant needs none). A bearer access token
// costs what a session cookie does: one read of the same store.
func TestRoundTripBudgets(t *testing.T) {
	for _, store := range apptest.Stores() {
		t.Run(store, func(t *testing.T) {
			d := dbtest.New(t)
			rec := &statementLog{}
			opts := apptest.Options{
				Store:      store,
				Pool:       tracedPool(t, d.AppURL, rec, "app"),
				TenantPool: tracedPool(t, d.TenantURL, rec, "tenant"),
			}
			if store == "redis" {
				opts.RedisHook = redisTracer{rec: rec}
			}
			e := apptest.New(t, opts)
			alice := e.Signup("alice")
			tn := alice.CreateTenant("Acme")
			for i := range 20 {
				createProject(t, alice, tn, "p"+string(rune('a'+i)))
			}
			// The session's current tenant, for the routes that use it.
			alice.Must(http.StatusOK, "PUT", "/api/me/tenant", map[string]string{"tenant": tn.ID})
			// A bearer-token sign-in in the same tenant (issue 11): its
			// access token is read from the same store, in one read.
			tokens := signInTokens(t, e, alice, tn.ID)
			client := e.Client()
			withToken := []apptest.Header{bearer(tokens.AccessToken)}
			// An API key: one read of its row, whatever the session store.
			// Its last use is stamped now, so no stamp (written off the
			// request path, at most once a minute) lands in the measurement.
			key := createKey(t, alice, tn, "member", nil)
			if _, err := e.DB.Owner.Exec(t.Context(), "UPDATE api_keys SET last_used_at = now()"); err != nil {
				t.Fatal(err)
			}
			withKey := []apptest.Header{bearer(key.Key)}

			type budget struct{ app, tenant, redis int } // Postgres round trips per pool, Redis commands
			session := budget{app: 1}                    // the session read, from the store in use
			if store == "redis" {
				session = budget{redis: 1}
			}
			plus := func(b budget, app, tenant int) budget {
				return budget{app: b.app + app, tenant: b.tenant + tenant, redis: b.redis}
			}
			type route struct {
				name         string
				method, path string
				body         func() any // a new body for each request
				headers      []apptest.Header
				status       int
				want         budget
				token        bool // as the bearer-token client, with withToken
			}
			tests := []route{
				{"me", "GET", "/api/me", nil, nil, http.StatusOK, session, false},
				{"list, session's tenant", "GET", "/api/projects", nil, nil, http.StatusOK, plus(session, 0, 2), false},
				{"list, X-Tenant id", "GET", "/api/projects", nil, []apptest.Header{xTenant(tn.ID)}, http.StatusOK, plus(session, 0, 2), false},
				{"list, path id", "GET", "/api/t/" + tn.ID + "/projects", nil, nil, http.StatusOK, plus(session, 0, 2), false},
				{"list, X-Tenant slug", "GET", "/api/projects", nil, []apptest.Header{xTenant(tn.Slug)}, http.StatusOK, plus(session, 1, 2), false},
				{"create", "POST", "/api/projects", func() any { return map[string]string{"name": uuid.NewString()} }, nil, http.StatusCreated, plus(session, 0, 3), false},
				{"members", "GET", "/api/members", nil, nil, http.StatusOK, plus(session, 0, 2), false},
				{"me, access token", "GET", "/api/me", nil, withToken, http.StatusOK, session, true},
				{"list, access token", "GET", "/api/projects", nil, withToken, http.StatusOK, plus(session, 0, 2), true},
				{"list, API key", "GET", "/api/projects", nil, withKey, http.StatusOK, budget{app: 1, tenant: 2}, true},
				{"create, API key", "POST", "/api/projects", func() any { return map[string]string{"name": uuid.NewString()} }, withKey, http.StatusCreated, budget{app: 1, tenant: 3}, true},
			}
			// Without the caller cache, /api/me reads the caller too. These
			// go last: they turn the cache off for the rest of the test.
			noCache := func(c *app.Config) { c.CallerCacheTTL = -1 }
			tests = append(tests,
				route{"me, no cache", "GET", "/api/me", nil, nil, http.StatusOK, plus(session, 1, 0), false},
				route{"me, access token, no cache", "GET", "/api/me", nil, withToken, http.StatusOK, plus(session, 1, 0), true})
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if strings.HasSuffix(tt.name, "no cache") {
						e.Rebuild(noCache)
					}
					do := func() {
						var body any
						if tt.body != nil {
							body = tt.body()
						}
						if tt.token {
							client.Must(tt.status, tt.method, tt.path, body, tt.headers...)
							return
						}
						alice.Must(tt.status, tt.method, tt.path, body, tt.headers...)
					}
					for range 3 { // warm-up: connections, statement caches, the caller cache
						do()
					}
					if tt.path == "/api/me" && !strings.HasSuffix(tt.name, "no cache") {
						warmCallerCache(t, e, do)
					}
					rec.reset()
					do()
					got := rec.take()
					have := budget{app: trips(got, "app"), tenant: trips(got, "tenant"), redis: trips(got, "redis")}
					if have.app > tt.want.app || have.tenant > tt.want.tenant || have.redis > tt.want.redis {
						lines := make([]string, len(got))
						for i, s := range got {
							lines[i] = s.String()
						}
						t.Errorf("round trips %+v, budget %+v:\n%s", have, tt.want, strings.Join(lines, "\n"))
					}
				})
			}
		})
	}
}

// TestRefreshRoundTrips (issue 11): a refresh costs no password hash and
// at most 3 round trips in all (Postgres and Redis together), with either
// session store.
func TestRefreshRoundTrips(t *testing.T) {
	for _, store := range apptest.Stores() {
		t.Run(store, func(t *testing.T) {
			d := dbtest.New(t)
			rec := &statementLog{}
			opts := apptest.Options{
				Store:      store,
				Pool:       tracedPool(t, d.AppURL, rec, "app"),
				TenantPool: tracedPool(t, d.TenantURL, rec, "tenant"),
			}
			if store == "redis" {
				opts.RedisHook = redisTracer{rec: rec}
			}
			e := apptest.New(t, opts)
			alice := e.Signup("alice")
			p := signInTokens(t, e, alice, "")
			for range 3 { // warm-up: connections, statement caches
				p = mustRefresh(t, e, p.RefreshToken)
			}
			rec.reset()
			mustRefresh(t, e, p.RefreshToken)
			got := rec.take()
			if n := trips(got, "app") + trips(got, "tenant") + trips(got, "redis"); n > 3 {
				lines := make([]string, len(got))
				for i, s := range got {
					lines[i] = s.String()
				}
				t.Errorf("a refresh took %d round trips, budget 3:\n%s", n, strings.Join(lines, "\n"))
			}
		})
	}
}

// warmCallerCache repeats do (a GET /api/me) until identity's caller cache
// answers one: the cache turns on once its listener listens, which the
// test server starts in the background.
func warmCallerCache(t *testing.T, e *apptest.Env, do func()) {
	t.Helper()
	// A late notification of an earlier change would empty the entry.
	if err := e.App.Identity.SyncChanges(t.Context()); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		hits, _ := e.App.Identity.CallerCacheStats()
		do()
		if h, _ := e.App.Identity.CallerCacheStats(); h > hits {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("GET /api/me was never answered from the caller cache")
		}
	}
}
