package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/auth"
	"github.com/tenantkit/tenantkit/internal/session"
)

// sessions answers Current from a fixed result; the stores have their own
// conformance suite, this tests only what the middleware makes of answers.
type sessions struct {
	s   session.Session
	err error
	// grants answers LookupAccess by token; tokenErr, when set, instead.
	grants   map[string]session.AccessGrant
	tokenErr error
}

func (f sessions) Current(*http.Request) (session.Session, error) { return f.s, f.err }

func (f sessions) LookupAccess(_ context.Context, token string) (session.AccessGrant, error) {
	if f.tokenErr != nil {
		return session.AccessGrant{}, f.tokenErr
	}
	g, ok := f.grants[token]
	if !ok {
		return session.AccessGrant{}, session.ErrInvalidToken
	}
	return g, nil
}

func (sessions) CookieName() string { return "session" }

func TestAuthenticate(t *testing.T) {
	user, sid, tenant := uuid.New(), uuid.New(), uuid.New()
	outage := errors.New("store down")
	grants := map[string]session.AccessGrant{"good": {FamilyID: sid, UserID: user, TenantID: tenant}}
	tests := []struct {
		name       string
		sessions   sessions
		authz      string
		cookie     bool
		require    bool
		wantStatus int
		wantUser   uuid.UUID
	}{
		{"valid session", sessions{s: session.Session{ID: sid, UserID: user, TenantID: tenant}}, "", false, true, 200, user},
		{"no session passes through", sessions{err: session.ErrNoSession}, "", false, false, 200, uuid.Nil},
		{"no session on a protected route", sessions{err: session.ErrNoSession}, "", false, true, 401, uuid.Nil},
		{"store outage fails closed", sessions{err: outage}, "", false, false, 503, uuid.Nil},
		{"an invalid bearer token is judged alone", sessions{s: session.Session{ID: sid, UserID: user}}, "Bearer x", false, false, 401, uuid.Nil},
		{"a valid access token", sessions{err: session.ErrNoSession, grants: grants}, "Bearer good", false, true, 200, user},
		{"the scheme is case-insensitive", sessions{err: session.ErrNoSession, grants: grants}, "bearer good", false, true, 200, user},
		{"a cookie and a bearer token", sessions{s: session.Session{ID: sid, UserID: user}, grants: grants}, "Bearer good", true, false, 400, uuid.Nil},
		{"a token store outage fails closed", sessions{tokenErr: outage}, "Bearer good", false, false, 503, uuid.Nil},
		{"other schemes are ignored", sessions{s: session.Session{ID: sid, UserID: user}}, "Basic eDp5", false, true, 200, user},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got auth.Principal
			writeErr := func(w http.ResponseWriter, r *http.Request, err error) {
				switch {
				case errors.Is(err, auth.ErrUnauthenticated), errors.Is(err, auth.ErrInvalidToken):
					w.WriteHeader(http.StatusUnauthorized)
				case errors.Is(err, auth.ErrAmbiguousCredentials):
					w.WriteHeader(http.StatusBadRequest)
				default:
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			}
			m := auth.NewMiddleware(tt.sessions, nil, writeErr)
			var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = auth.PrincipalFrom(r.Context())
			})
			if tt.require {
				h = m.Require(h)
			}
			h = m.Authenticate(h)
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.authz != "" {
				req.Header.Set("Authorization", tt.authz)
			}
			if tt.cookie {
				req.AddCookie(&http.Cookie{Name: "session", Value: "x"})
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got.UserID != tt.wantUser {
				t.Errorf("principal user = %v, want %v", got.UserID, tt.wantUser)
			}
			wantMethod := auth.MethodSession
			if tt.authz != "" && tt.authz != "Basic eDp5" {
				wantMethod = auth.MethodAccessToken
			}
			if tt.wantUser != uuid.Nil && (got.SessionID != sid || got.Method != wantMethod) {
				t.Errorf("principal = %+v, want method %s", got, wantMethod)
			}
		})
	}
}
