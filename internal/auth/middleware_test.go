package auth_test

import (
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
}

func (f sessions) Current(*http.Request) (session.Session, error) { return f.s, f.err }

func TestAuthenticate(t *testing.T) {
	user, sid, tenant := uuid.New(), uuid.New(), uuid.New()
	outage := errors.New("store down")
	tests := []struct {
		name       string
		sessions   sessions
		authz      string
		require    bool
		wantStatus int
		wantUser   uuid.UUID
	}{
		{"valid session", sessions{s: session.Session{ID: sid, UserID: user, TenantID: tenant}}, "", true, 200, user},
		{"no session passes through", sessions{err: session.ErrNoSession}, "", false, 200, uuid.Nil},
		{"no session on a protected route", sessions{err: session.ErrNoSession}, "", true, 401, uuid.Nil},
		{"store outage fails closed", sessions{err: outage}, "", false, 503, uuid.Nil},
		{"bearer is judged alone", sessions{s: session.Session{ID: sid, UserID: user}}, "Bearer x", false, 401, uuid.Nil},
		{"other schemes are ignored", sessions{s: session.Session{ID: sid, UserID: user}}, "Basic eDp5", true, 200, user},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got auth.Principal
			writeErr := func(w http.ResponseWriter, r *http.Request, err error) {
				switch {
				case errors.Is(err, auth.ErrUnauthenticated), errors.Is(err, auth.ErrInvalidToken):
					w.WriteHeader(http.StatusUnauthorized)
				default:
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			}
			m := auth.NewMiddleware(tt.sessions, writeErr)
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
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got.UserID != tt.wantUser {
				t.Errorf("principal user = %v, want %v", got.UserID, tt.wantUser)
			}
			if tt.wantUser != uuid.Nil && (got.SessionID != sid || got.Method != auth.MethodSession) {
				t.Errorf("principal = %+v", got)
			}
		})
	}
}
