package httpapi

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tenantkit/tenantkit/internal/auth"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/observe"
	"github.com/tenantkit/tenantkit/internal/session"
	"github.com/tenantkit/tenantkit/internal/tenancy"
	"github.com/tenantkit/tenantkit/web"
)

// Check is one dependency /readyz probes.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// DefaultRequestTimeout bounds one request's work when Config sets no
// RequestTimeout.
const DefaultRequestTimeout = 15 * time.Second

// Config is everything the HTTP layer needs; run builds it.
type Config struct {
	Logger         *slog.Logger
	HTTPS          bool // BASE_URL is https: HSTS on
	TrustedProxies []netip.Prefix
	RequestTimeout time.Duration
	RateLimits     RateLimits
	ReadyChecks    []Check
	// AllowedHosts are the hosts requests may name (the Host header);
	// others are answered 421 host_not_allowed, except /healthz and
	// /readyz, which probes address by IP. Empty: LoopbackHosts() only, so
	// a server wired without it fails closed. serve passes BASE_URL's host,
	// ALLOWED_HOSTS and *.TENANT_BASE_DOMAIN.
	AllowedHosts []HostPattern
	// AccessLogDrop is the fraction of successful (1xx to 3xx) requests
	// left out of the access log, chosen at random: 0 (the default) logs
	// every request, 1 only failed ones. 4xx and 5xx are always logged.
	// serve sets it from ACCESS_LOG_SAMPLE, the fraction kept.
	AccessLogDrop float64
	// Metrics records requests and rate-limit refusals; nil records
	// nothing.
	Metrics *observe.Metrics

	// SignupMode: SignupVerify (the zero value's default) or SignupOpen.
	SignupMode SignupMode
	// ReauthWindow: how recent a login must be for a password or email
	// change without the current password. Default DefaultReauthWindow.
	ReauthWindow time.Duration

	Identity *identity.Service
	Sessions *session.Manager
	// APIKeys are the tenants' API keys (nil: none are accepted).
	APIKeys  *session.APIKeys
	Tenancy  *tenancy.Manager
	Resolver *tenancy.Resolver

	// Components are the domain components; each adds its tenant-scoped
	// routes (see Component).
	Components []Component
}

// Server is the HTTP API.
type Server struct {
	log          *slog.Logger
	logDrop      float64 // Config.AccessLogDrop
	metrics      *observe.Metrics
	https        bool
	checks       []Check
	identity     *identity.Service
	sessions     *session.Manager
	apiKeys      *session.APIKeys
	tenancy      *tenancy.Manager
	resolver     *tenancy.Resolver
	components   []Component
	signupMode   SignupMode
	reauthWindow time.Duration
	auth         *auth.Middleware
	limits       limiters
	pages        *template.Template
	draining     atomic.Bool
	handler      http.Handler
}

// NewServer wires the middleware and routes.
func NewServer(cfg Config) *Server {
	s := &Server{
		log:          cfg.Logger,
		logDrop:      cfg.AccessLogDrop,
		metrics:      cfg.Metrics,
		https:        cfg.HTTPS,
		checks:       cfg.ReadyChecks,
		identity:     cfg.Identity,
		sessions:     cfg.Sessions,
		apiKeys:      cfg.APIKeys,
		tenancy:      cfg.Tenancy,
		resolver:     cfg.Resolver,
		components:   cfg.Components,
		signupMode:   cfg.SignupMode,
		reauthWindow: cfg.ReauthWindow,
		limits:       newLimiters(cfg.RateLimits),
		pages:        template.Must(web.Templates()),
	}
	if s.signupMode == "" {
		s.signupMode = SignupVerify
	}
	if s.reauthWindow <= 0 {
		s.reauthWindow = DefaultReauthWindow
	}
	var keys auth.Keys
	if cfg.APIKeys != nil {
		keys = cfg.APIKeys
	}
	s.auth = auth.NewMiddleware(cfg.Sessions, keys, s.writeError)
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errorf(http.StatusForbidden, "cross_origin_request", "Cross-origin requests that change state are refused."))
	}))

	// Outermost first: every response gets an id, a log line and the
	// security headers, even the ones the inner layers reject.
	var h = s.routes()
	h = csrf.Handler(h)
	h = s.allowedHosts(cfg.AllowedHosts)(h)
	h = realIP(cfg.TrustedProxies)(h)
	h = s.securityHeaders(h)
	h = s.accessLog(h)
	h = requestContext(cfg.RequestTimeout)(h)
	s.handler = h
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Drain makes /readyz answer 503 from now on, so load balancers stop
// sending new requests while in-flight ones finish (call it on SIGTERM,
// before http.Server.Shutdown).
func (s *Server) Drain() { s.draining.Store(true) }

// Handler is an HTTP handler that returns its error instead of writing it.
type Handler func(w http.ResponseWriter, r *http.Request) error

// handle adapts h to net/http, rendering its error with writeError. It
// notes the request's route and caller for the access log and metrics.
func (s *Server) handle(h Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		noteHandler(r)
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// Walk calls fn for every route the server answers ("GET", "/api/me"), for
// the test that keeps openapi.yaml and the routes in step.
func (s *Server) Walk(fn func(method, route string) error) error {
	router, ok := s.routes().(chi.Routes)
	if !ok {
		return errors.New("httpapi: routes are not a chi router")
	}
	return chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		// chi joins a mounted router's pattern to its routes' ("/api/*" +
		// "/me" becomes "/api/me"); a route at a sub-router's root comes
		// out with a trailing slash, which OpenAPI paths do not have.
		if len(route) > 1 {
			route = strings.TrimSuffix(route, "/")
		}
		return fn(method, route)
	})
}
