package session

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/problem"
)

// Session is the metadata of one session. It never holds user data: the
// user is referenced by id only.
type Session struct {
	// ID is the public id of the session (a random UUID, unrelated to the
	// token), the one the API shows and revokes by.
	ID     uuid.UUID
	UserID uuid.UUID
	// TenantID is the tenant the session has switched to, or uuid.Nil.
	TenantID   uuid.UUID
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

var (
	// ErrNoSession means the request carries no valid session: no cookie,
	// an unknown, revoked or expired token.
	ErrNoSession = problem.New(http.StatusUnauthorized, "unauthenticated", "Sign in to continue.")
	// ErrUnavailable means the session store could not be reached. Answer
	// 503; never treat the request as anonymous.
	ErrUnavailable = problem.New(http.StatusServiceUnavailable, "unavailable", "The service is temporarily unavailable; try again shortly.")
	// ErrNotFound means the session to revoke is not one of the user's.
	ErrNotFound = problem.New(http.StatusNotFound, "not_found", "No such session.")
)

// errNoMiddleware means a Manager method ran on a request that did not pass
// through Manager.LoadAndSave.
var errNoMiddleware = errors.New("session: Manager.LoadAndSave is not installed on this route")

// Defaults for the zero values of Config, and for the server's
// SESSION_IDLE_TIMEOUT and SESSION_LIFETIME.
const (
	DefaultIdleTimeout   = time.Hour
	DefaultLifetime      = 24 * time.Hour
	DefaultTouchInterval = time.Minute
	DefaultCookieName    = "tenantkit_session"
)

// Config configures a Manager. The zero value is usable except for Secure,
// which production must set.
type Config struct {
	// IdleTimeout ends a session that has not been used for this long.
	IdleTimeout time.Duration
	// Lifetime ends a session this long after login however active it is.
	// A tenant switch does not extend it.
	Lifetime time.Duration
	// TouchInterval is how often at most the last-seen time of a session is
	// written to the store. It must be shorter than IdleTimeout; the idle
	// timeout is enforced to within one TouchInterval.
	TouchInterval time.Duration

	// Secure is true when the base URL is https: the cookie then gets the
	// __Host- prefix and the Secure attribute. Set it false only for local
	// development over plain http, where browsers reject both.
	Secure bool
	// CookieName is the cookie's name without the __Host- prefix.
	CookieName string

	// ErrorFunc answers a request whose session could not be loaded;
	// errors.Is(err, ErrUnavailable) should become a 503. (Errors of
	// Current, Login, SwitchTenant and Logout go to their caller.) The
	// default logs and answers 503 or 500 in plain text.
	ErrorFunc func(http.ResponseWriter, *http.Request, error)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// withDefaults fills in zero values and panics on settings that cannot work,
// which are programming errors in the caller's configuration code.
func (c Config) withDefaults() Config {
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Lifetime == 0 {
		c.Lifetime = DefaultLifetime
	}
	if c.TouchInterval == 0 {
		c.TouchInterval = min(DefaultTouchInterval, c.IdleTimeout/2)
	}
	if c.CookieName == "" {
		c.CookieName = DefaultCookieName
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	switch {
	case c.IdleTimeout < 0 || c.Lifetime < 0 || c.TouchInterval < 0:
		panic("session: Config durations must not be negative")
	case c.TouchInterval >= c.IdleTimeout:
		panic("session: Config.TouchInterval must be shorter than IdleTimeout")
	}
	if c.ErrorFunc == nil {
		c.ErrorFunc = defaultErrorFunc(c.Logger)
	}
	return c
}

func defaultErrorFunc(log *slog.Logger) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrUnavailable) {
			status = http.StatusServiceUnavailable
		}
		log.ErrorContext(r.Context(), "session", "err", err)
		http.Error(w, http.StatusText(status), status)
	}
}
