package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/tenantkit/tenantkit/internal/problem"
	"github.com/tenantkit/tenantkit/internal/session"
)

// ErrUnauthenticated means the request needs a valid session or token.
var ErrUnauthenticated = problem.New(http.StatusUnauthorized, "unauthenticated", "Sign in to continue.")

// ErrInvalidToken means the request carried a bearer token that is not valid.
var ErrInvalidToken = problem.New(http.StatusUnauthorized, "invalid_token", "The bearer token is not valid.")

// ErrAmbiguousCredentials means the request carried a session cookie and
// a bearer token (an access token or an API key): it is judged by neither.
var ErrAmbiguousCredentials = problem.New(http.StatusBadRequest, "ambiguous_credentials",
	"Send a session cookie or an Authorization: Bearer token, not both.")

// Sessions is the part of the session layer the middleware needs.
type Sessions interface {
	Current(r *http.Request) (session.Session, error)
	// LookupAccess returns what a bearer access token grants, in one
	// store read; session.ErrInvalidToken for one that grants nothing.
	LookupAccess(ctx context.Context, token string) (session.AccessGrant, error)
	// CookieName is the session cookie's name.
	CookieName() string
}

// Keys is the API keys' lookup (session.APIKeys).
type Keys interface {
	Lookup(ctx context.Context, token string) (session.APIKeyGrant, error)
}

// ErrorWriter renders an error as the response (the HTTP layer's problem
// writer), so this package never decides response formats.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Middleware authenticates requests.
type Middleware struct {
	sessions Sessions
	keys     Keys
	writeErr ErrorWriter
}

// NewMiddleware returns the request-auth middleware. keys may be nil: an
// API key is then an invalid token.
func NewMiddleware(sessions Sessions, keys Keys, writeErr ErrorWriter) *Middleware {
	return &Middleware{sessions: sessions, keys: keys, writeErr: writeErr}
}

// Authenticate attaches the Principal of a valid session or bearer access
// token to the request context and passes anonymous requests through
// (Require rejects them where a route needs a caller). Either way it costs
// one store read.
//
// A request with a Bearer token is judged by the token alone: an invalid
// one is 401 invalid_token, never an anonymous request, and one that also
// carries a session cookie is 400 ambiguous_credentials (a cookie a
// browser attached must not lend its authority to a token, or the other
// way round). Other Authorization schemes (Basic auth of a proxy in front)
// are not ours and are ignored. A session store failure is returned as
// the store's error (a 503).
func (m *Middleware) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") {
			if _, err := r.Cookie(m.sessions.CookieName()); err == nil {
				m.writeErr(w, r, ErrAmbiguousCredentials)
				return
			}
			token = strings.TrimSpace(token)
			if session.IsAPIKey(token) {
				m.authenticateKey(w, r, next, token)
				return
			}
			g, err := m.sessions.LookupAccess(r.Context(), token)
			switch {
			case errors.Is(err, session.ErrInvalidToken):
				m.writeErr(w, r, ErrInvalidToken)
				return
			case err != nil:
				m.writeErr(w, r, err)
				return
			}
			p := Principal{UserID: g.UserID, SessionID: g.FamilyID, TenantID: g.TenantID, Method: MethodAccessToken}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
			return
		}
		s, err := m.sessions.Current(r)
		switch {
		case errors.Is(err, session.ErrNoSession):
			next.ServeHTTP(w, r)
			return
		case err != nil:
			m.writeErr(w, r, err)
			return
		}
		p := Principal{UserID: s.UserID, SessionID: s.ID, TenantID: s.TenantID, Method: MethodSession}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// authenticateKey serves a request that carries the API key token.
func (m *Middleware) authenticateKey(w http.ResponseWriter, r *http.Request, next http.Handler, token string) {
	if m.keys == nil {
		m.writeErr(w, r, ErrInvalidToken)
		return
	}
	g, err := m.keys.Lookup(r.Context(), token)
	switch {
	case errors.Is(err, session.ErrInvalidToken):
		m.writeErr(w, r, ErrInvalidToken)
		return
	case err != nil:
		m.writeErr(w, r, err)
		return
	}
	p := Principal{TenantID: g.TenantID, Method: MethodAPIKey, APIKeyID: g.KeyID, KeyCreatedBy: g.CreatedBy}
	next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
}

// Require rejects requests without a principal with ErrUnauthenticated.
func (m *Middleware) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := PrincipalFrom(r.Context()); !ok {
			m.writeErr(w, r, ErrUnauthenticated)
			return
		}
		next.ServeHTTP(w, r)
	})
}
