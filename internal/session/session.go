package session

import (
	"cmp"
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
	// Token is true for a bearer-token family (Manager.IssueTokens) in a
	// user's session list: ID is the family's, LastSeenAt its last
	// refresh. It is false for a cookie session.
	Token bool `json:"-"`
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
	// ErrInvalidToken means a bearer access or refresh token that is
	// malformed, unknown, revoked or expired.
	ErrInvalidToken = problem.New(http.StatusUnauthorized, "invalid_token", "The token is invalid or has expired.")
	// ErrTokenReused means a refresh token that had been used already was
	// presented again (outside the grace window for retries): its whole
	// family, every access and refresh token of that sign-in, has been
	// revoked, durably, and the client must sign in again.
	ErrTokenReused = problem.New(http.StatusUnauthorized, "token_reused", "This sign-in was ended because a used refresh token was presented again. Sign in again.")
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

	DefaultAccessTokenLifetime = 15 * time.Minute
	DefaultTokenIdleTimeout    = 7 * 24 * time.Hour
	DefaultTokenLifetime       = 30 * 24 * time.Hour
	DefaultRefreshGrace        = 10 * time.Second
)

// MinTokenKeyBytes is the shortest Config.TokenKey.
const MinTokenKeyBytes = 32

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

	// TokenKey is the server secret (at least MinTokenKeyBytes) from
	// which refresh-token successors are derived (HKDF-SHA256, then
	// HMAC-SHA256 of the presented token; see tokens.go). Every replica
	// must have the same; changing it makes a retry within the grace
	// window look like reuse, nothing worse. nil: bearer tokens are
	// disabled (their methods fail).
	TokenKey []byte
	// AccessTokenLifetime (15 min) is how long an access token works.
	AccessTokenLifetime time.Duration
	// TokenIdleTimeout (7 days) ends a token family that has not been
	// refreshed for this long; TokenLifetime (30 days) ends it this long
	// after sign-in however active it is.
	TokenIdleTimeout time.Duration
	TokenLifetime    time.Duration
	// RefreshGrace (10 s) is how long after a rotation the refresh token
	// it replaced is still honoured, returning the same successors, for a
	// client's concurrent or retried refresh. After it, presenting that
	// token is reuse.
	RefreshGrace time.Duration

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
	c.AccessTokenLifetime = cmp.Or(c.AccessTokenLifetime, DefaultAccessTokenLifetime)
	c.TokenIdleTimeout = cmp.Or(c.TokenIdleTimeout, DefaultTokenIdleTimeout)
	c.TokenLifetime = cmp.Or(c.TokenLifetime, DefaultTokenLifetime)
	c.RefreshGrace = cmp.Or(c.RefreshGrace, DefaultRefreshGrace)
	switch {
	case c.IdleTimeout < 0 || c.Lifetime < 0 || c.TouchInterval < 0 ||
		c.AccessTokenLifetime < 0 || c.TokenIdleTimeout < 0 || c.TokenLifetime < 0 || c.RefreshGrace < 0:
		panic("session: Config durations must not be negative")
	case c.TouchInterval >= c.IdleTimeout:
		panic("session: Config.TouchInterval must be shorter than IdleTimeout")
	case c.RefreshGrace >= c.AccessTokenLifetime || c.AccessTokenLifetime > c.TokenIdleTimeout:
		// A retry must find its access token still live, and no access
		// token may outlive its family's idle expiry.
		panic("session: Config needs RefreshGrace < AccessTokenLifetime <= TokenIdleTimeout")
	case c.TokenKey != nil && len(c.TokenKey) < MinTokenKeyBytes:
		panic("session: Config.TokenKey is shorter than MinTokenKeyBytes")
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
