package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tenantkit/tenantkit/internal/database"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/jobs"
	"github.com/tenantkit/tenantkit/internal/observe"
	"github.com/tenantkit/tenantkit/internal/session"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

// Config is every setting the app takes. The zero value of each field is the
// production default of the package that owns it.
type Config struct {
	Logger *slog.Logger // nil discards

	// HTTPS is true when the base URL is https: HSTS, and Secure __Host-
	// session cookies.
	HTTPS          bool
	TrustedProxies []netip.Prefix
	RequestTimeout time.Duration
	RateLimits     httpapi.RateLimits
	// AllowedHosts are the hosts the server answers for; other Host
	// headers get 421 host_not_allowed (see httpapi.Config.AllowedHosts).
	// nil: loopback hosts only.
	AllowedHosts []httpapi.HostPattern

	SessionIdleTimeout time.Duration
	SessionLifetime    time.Duration
	// SessionTouchInterval: how often at most a request writes its
	// session's last-seen time (0: session's default).
	SessionTouchInterval time.Duration
	// CallerCacheTTL is identity's Config.CallerCacheTTL (0: its default;
	// negative: no cache). The cache answers only while
	// Identity.WatchChanges runs, which the caller starts.
	CallerCacheTTL time.Duration

	TenantSources    []tenancy.Source // nil: tenancy.DefaultSources()
	TenantBaseDomain string

	MinPasswordLength int
	Argon2            identity.Argon2Params // zero: OWASP's recommendation; lower only in tests

	// SignupMode: httpapi.SignupVerify (the default) or SignupOpen.
	SignupMode httpapi.SignupMode
	// ReauthWindow: how recent a login must be for a sensitive change
	// without the current password (0: httpapi.DefaultReauthWindow).
	ReauthWindow time.Duration
	// AllowUnverifiedEmail lets unverified users create tenants
	// (REQUIRE_VERIFIED_EMAIL=false).
	AllowUnverifiedEmail bool
	// Product names the product in mails ("" : tenantkit); BaseURL is
	// where their links point ("": http://localhost:8080).
	Product string
	BaseURL string
	// Jobs tunes the job queue (tests shorten its retries and polling);
	// Logger, Sender, Renderer, Key, RequestID and Periodic are the app's.
	Jobs jobs.Config

	// TenantContextKey signs tenant scopes; the database must hold the same
	// (`migrate up` stores TENANT_CONTEXT_KEY).
	TenantContextKey database.ContextKey

	// AccessLogDrop is the fraction of successful requests left out of the
	// access log (see httpapi.Config.AccessLogDrop); 0 logs every one.
	AccessLogDrop float64
	// Registry is where the app registers its metrics (observe.NewMetrics)
	// and its pools' statistics; serve creates it and serves it on
	// ADMIN_ADDR. nil: no metrics.
	Registry prometheus.Registerer
}

// Deps are the connections the app runs on. The caller opens them, checks
// them and closes them after the app is done.
type Deps struct {
	// Pool connects as the runtime role (never an owner or superuser).
	Pool *pgxpool.Pool
	// TenantPool connects as the tenant login role, which reaches tenant
	// tables under RLS and nothing else; tenant transactions run on it.
	TenantPool *pgxpool.Pool
	// Sessions is the session store (session.NewPostgresStore or
	// session.NewRedisStore).
	Sessions session.Store
	// ReadyChecks are the dependencies /readyz probes besides Postgres.
	ReadyChecks []httpapi.Check
	// Mail delivers mail (a *mail.Sender on MAIL_URL). Nil: the app's job
	// queue only inserts jobs, for workers elsewhere (WORKERS=off), and
	// App.Jobs.Start fails.
	Mail jobs.Sender
}

// App is the wired application.
type App struct {
	Server   *httpapi.Server
	Identity *identity.Service
	Sessions *session.Manager
	// APIKeys are the tenants' API keys, in the runtime role's database.
	APIKeys *session.APIKeys
	Tenancy *tenancy.Manager
	// Jobs is the job queue: the mail that follows identity changes and
	// the periodic cleanups. The caller starts its workers (Start) where
	// they should run, and stops them.
	Jobs *jobs.Queue
}

// ServeHTTP serves the HTTP API.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.Server.ServeHTTP(w, r) }

// New wires the application.
func New(cfg Config, deps Deps) (*App, error) {
	if deps.Pool == nil || deps.TenantPool == nil || deps.Sessions == nil {
		return nil, errors.New("app: Deps.Pool, Deps.TenantPool and Deps.Sessions are required")
	}
	if len(cfg.TenantContextKey) < database.MinContextKeyBytes {
		return nil, errors.New("app: Config.TenantContextKey is required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sources := cfg.TenantSources
	if sources == nil {
		sources = tenancy.DefaultSources()
	}

	var metrics *observe.Metrics
	if cfg.Registry != nil {
		m, err := observe.NewMetrics(cfg.Registry)
		if err != nil {
			return nil, fmt.Errorf("app: metrics: %w", err)
		}
		err = errors.Join(
			cfg.Registry.Register(observe.NewPoolCollector("app", deps.Pool.Stat)),
			cfg.Registry.Register(observe.NewPoolCollector("tenant", deps.TenantPool.Stat)))
		if err != nil {
			return nil, fmt.Errorf("app: metrics: %w", err)
		}
		metrics = m
	}

	a := &App{}
	a.Sessions = session.NewManager(deps.Sessions, session.Config{
		IdleTimeout:   cfg.SessionIdleTimeout,
		Lifetime:      cfg.SessionLifetime,
		TouchInterval: cfg.SessionTouchInterval,
		Secure:        cfg.HTTPS,
		// Refresh-token successors are derived from it (HKDF, an info of
		// their own), so every replica agrees on a retry's pair.
		TokenKey:  cfg.TenantContextKey,
		Logger:    log,
		ErrorFunc: func(w http.ResponseWriter, r *http.Request, err error) { a.Server.WriteError(w, r, err) },
	})
	a.APIKeys = session.NewAPIKeys(deps.Pool, log)
	if metrics != nil {
		a.Sessions.ObserveLookups(metrics.SessionLookup)
	}
	queue, err := newQueue(cfg, deps, a, log)
	if err != nil {
		return nil, err
	}
	a.Jobs = queue
	ident, err := identity.New(deps.Pool, identity.Config{
		MinPasswordLength: cfg.MinPasswordLength,
		Argon2:            cfg.Argon2,
		Logger:            log,
		// Disabling a user revokes their sessions, wherever it is done from.
		OnDisable:            func(ctx context.Context, userID uuid.UUID) error { return a.Sessions.RevokeAll(ctx, userID) },
		Outbox:               queue,
		AllowUnverifiedEmail: cfg.AllowUnverifiedEmail,
		CallerCacheTTL:       cfg.CallerCacheTTL,
	})
	if err != nil {
		return nil, err
	}
	a.Identity = ident
	if cfg.Registry != nil {
		for _, c := range observe.NewCallerCacheCounters(ident.CallerCacheStats) {
			if err := cfg.Registry.Register(c); err != nil {
				return nil, fmt.Errorf("app: metrics: %w", err)
			}
		}
	}
	a.Tenancy = tenancy.NewManager(deps.TenantPool, ident, cfg.TenantContextKey, 0)
	if metrics != nil {
		a.Tenancy.ObserveTransactions(metrics.ObserveTenantTx)
	}

	checks := append([]httpapi.Check{
		{Name: "postgres", Check: func(ctx context.Context) error {
			return errors.Join(deps.Pool.Ping(ctx), deps.TenantPool.Ping(ctx))
		}},
	}, deps.ReadyChecks...)
	a.Server = httpapi.NewServer(httpapi.Config{
		Logger:         log,
		HTTPS:          cfg.HTTPS,
		TrustedProxies: cfg.TrustedProxies,
		RequestTimeout: cfg.RequestTimeout,
		RateLimits:     cfg.RateLimits,
		AllowedHosts:   cfg.AllowedHosts,
		AccessLogDrop:  cfg.AccessLogDrop,
		SignupMode:     cfg.SignupMode,
		ReauthWindow:   cfg.ReauthWindow,
		Metrics:        metrics,
		ReadyChecks:    checks,
		Identity:       ident,
		Sessions:       a.Sessions,
		APIKeys:        a.APIKeys,
		Tenancy:        a.Tenancy,
		Resolver:       tenancy.NewResolver(sources, cfg.TenantBaseDomain, ident),
		Components:     components(),
	})
	return a, nil
}
