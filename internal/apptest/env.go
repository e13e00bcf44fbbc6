package apptest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/dbtest"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/jobs"
	"github.com/tenantkit/tenantkit/internal/mail"
	"github.com/tenantkit/tenantkit/internal/mailtest"
	"github.com/tenantkit/tenantkit/internal/session"
)

// Options choose how New builds the app. The zero value is the app with
// Postgres sessions and the test defaults (see New).
type Options struct {
	// Store is the session store: "postgres" (the default) or "redis"
	// (TEST_REDIS_URL, default redis://127.0.0.1:6379/0, under a key
	// prefix of its own that is deleted when the test ends).
	Store string
	// Secure sets app.Config.HTTPS: Secure __Host- session cookies and
	// HSTS. The test server speaks plain HTTP, so a client's cookie jar
	// does not send Secure cookies back: use it to inspect Set-Cookie.
	Secure bool
	// Configure, if set, changes the configuration after the test
	// defaults are applied.
	Configure func(*app.Config)
	// Pool, if set, is the runtime-role pool the app and a Postgres
	// session store run on instead of DB.App (a pool through a proxy
	// that fails on demand, say). The caller closes it.
	Pool *pgxpool.Pool
	// TenantPool, if set, is the tenant-login-role pool tenant
	// transactions run on instead of DB.Tenant. The caller closes it.
	TenantPool *pgxpool.Pool
	// RedisHook, if set, is added to the Redis store's client (to count
	// its commands, say).
	RedisHook redis.Hook
	// Mail delivers the app's mail to Env.Mail, a real SMTP server in the
	// test process, through the job queue's workers, which run while the
	// test does. Without it mail jobs are inserted and never worked.
	Mail bool
}

// Env is the app serving on a test HTTP server.
type Env struct {
	// T is the test the Env belongs to; its clients report failures to it.
	T testing.TB
	// DB is the test package's database (dbtest.New): DB.Owner for
	// fixtures and for changing rows behind the app's back.
	DB *dbtest.DB
	// App is the current app (see Rebuild). Reach its parts here:
	// App.Identity to disable a user, App.Server to drain.
	App *app.App
	// URL is the test server's base URL, "http://127.0.0.1:port".
	URL string
	// Mail is the SMTP server the app delivers to (Options.Mail), or nil.
	Mail *mailtest.Server

	opts       Options
	pool       *pgxpool.Pool
	tenantPool *pgxpool.Pool
	sessions   session.Store
	checks     []httpapi.Check
	serving    atomic.Pointer[app.App] // what the test server serves: App

	// check validates every exchange Client.Do makes against openapi.yaml
	// (checkSpec).
	check func(t testing.TB, req *http.Request, reqBody []byte, res *http.Response, resBody []byte)
}

// fastArgon2 keeps signups and logins quick; identity tests the real
// parameters.
var fastArgon2 = identity.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1}

// New builds the app with app.New on the test package's database and the
// store opts name, and serves it until the test ends. The test defaults
// differ from production only where tests need it: cheap Argon2 parameters
// and rate limits (10000 a minute) that no test reaches unless it sets its
// own.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	d := dbtest.New(t)
	e := &Env{T: t, DB: d, opts: opts, pool: d.App, tenantPool: d.Tenant}
	if opts.Pool != nil {
		e.pool = opts.Pool
	}
	if opts.TenantPool != nil {
		e.tenantPool = opts.TenantPool
	}
	switch opts.Store {
	case "", "postgres":
		e.sessions = session.NewPostgresStore(e.pool)
	case "redis":
		st := newRedisStore(t, opts.RedisHook)
		e.sessions = st
		// As serve does: Postgres is always checked, Redis when used.
		e.checks = []httpapi.Check{{Name: "redis", Check: st.Ping}}
	default:
		t.Fatalf("apptest: unknown session store %q (want one of %v)", opts.Store, Stores())
	}
	if opts.Mail {
		e.Mail = mailtest.Start(t)
	}
	e.build(nil)

	e.check = checkSpec // every exchange is checked against openapi.yaml

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.serving.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// Rebuild replaces the app with a new one on the same database and session
// store, built from the test defaults, then Options.Configure, then
// configure (which may be nil). The test server serves the new app from
// the next request on; sessions, users and tenants carry over. Use it to
// test other rate limits or tenant sources.
func (e *Env) Rebuild(configure func(*app.Config)) {
	e.T.Helper()
	e.build(configure)
}

func (e *Env) build(configure func(*app.Config)) {
	e.T.Helper()
	cfg := app.Config{
		Logger:     slog.New(slog.DiscardHandler),
		HTTPS:      e.opts.Secure,
		RateLimits: httpapi.RateLimits{AuthPerIP: 10000, LoginPerAccount: 10000, LoginSlowAfter: 10000},
		Argon2:     fastArgon2,
		// Most tests want a session from sign-up; the verify mode's own
		// tests set it.
		SignupMode: httpapi.SignupOpen,
		// Retries and polling on a test's time scale.
		Jobs: jobs.Config{RetryBase: 100 * time.Millisecond, PollInterval: 50 * time.Millisecond},

		TenantContextKey: e.DB.Key,
	}
	if e.opts.Configure != nil {
		e.opts.Configure(&cfg)
	}
	if configure != nil {
		configure(&cfg)
	}
	deps := app.Deps{Pool: e.pool, TenantPool: e.tenantPool, Sessions: e.sessions, ReadyChecks: e.checks}
	if e.Mail != nil {
		sender, err := mail.NewSender(e.Mail.URL(), "tenantkit <no-reply@example.com>")
		if err != nil {
			e.T.Fatalf("apptest: mail.NewSender: %v", err)
		}
		deps.Mail = sender
	}
	a, err := app.New(cfg, deps)
	if err != nil {
		e.T.Fatalf("apptest: app.New: %v", err)
	}
	if e.Mail != nil {
		if e.App != nil {
			e.stopJobs(e.App)
		}
		if err := a.Jobs.Start(context.WithoutCancel(e.T.Context())); err != nil {
			e.T.Fatalf("apptest: start the job workers: %v", err)
		}
		e.T.Cleanup(func() { e.stopJobs(a) })
	}
	// As serve does: Caller's cache answers while the changes are watched.
	watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(e.T.Context()))
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		a.Identity.WatchChanges(watchCtx)
	}()
	e.T.Cleanup(func() { stopWatch(); <-watched })
	e.App = a
	e.serving.Store(a)
}

// stopJobs stops a's job workers (a second stop is a no-op).
func (e *Env) stopJobs(a *app.App) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Jobs.Stop(ctx); err != nil {
		e.T.Errorf("apptest: stop the job workers: %v", err)
	}
}

// Stores lists the session stores the app supports, for tests that run
// once per store.
func Stores() []string { return []string{"postgres", "redis"} }

// EachStore runs fn as a subtest once per session store, each with an Env
// of its own.
func EachStore(t *testing.T, fn func(t *testing.T, e *Env)) {
	t.Helper()
	for _, store := range Stores() {
		t.Run(store, func(t *testing.T) { fn(t, New(t, Options{Store: store})) })
	}
}
