package auth

import (
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

// Sessions is the part of the session layer the middleware needs.
type Sessions interface {
	Current(r *http.Request) (session.Session, error)
}

// ErrorWriter renders an error as the response (the HTTP layer's problem
// writer), so this package never decides response formats.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Middleware authenticates requests.
type Middleware struct {
	sessions Sessions
	writeErr ErrorWriter
}

// NewMiddleware returns the request-auth middleware.
func NewMiddleware(sessions Sessions, writeErr ErrorWriter) *Middleware {
	return &Middleware{sessions: sessions, writeErr: writeErr}
}

// Authenticate attaches the Principal of a valid session to the request
// context and passes anonymous requests through (Require rejects them where
// a route needs a caller). A request with a Bearer token is judged by the
// token alone, never by a cookie next to it: bearer tokens are not issued
// yet, so any is invalid. Other Authorization schemes (Basic auth of a proxy
// in front) are not ours and are ignored. A session store failure is
// returned as the store's error (a 503).
func (m *Middleware) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") {
			m.writeErr(w, r, ErrInvalidToken)
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
