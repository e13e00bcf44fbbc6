package httpapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/identity"
)

// handleSecurityEvents lists the caller's own security events, newest
// first, a page at a time.
func (s *Server) handleSecurityEvents() Handler {
	type eventJSON struct {
		ID        uuid.UUID `json:"id"`
		Kind      string    `json:"kind"`
		IP        string    `json:"ip"`
		UserAgent string    `json:"user_agent"`
		RequestID string    `json:"request_id"`
		CreatedAt time.Time `json:"created_at"`
	}
	type response struct {
		Events     []eventJSON `json:"events"`
		NextCursor string      `json:"next_cursor,omitempty"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := principal(r)
		if err != nil {
			return err
		}
		page, err := ParsePage(r)
		if err != nil {
			return err
		}
		events, err := s.identity.SecurityEvents(r.Context(), p.UserID, page.After.CreatedAt, page.After.ID, page.Fetch())
		if err != nil {
			return err
		}
		events, next := Paginate(page, events, func(e identity.SecurityEvent) Key { return Key{CreatedAt: e.CreatedAt, ID: e.ID} })
		res := response{Events: make([]eventJSON, len(events)), NextCursor: next}
		for i, e := range events {
			res.Events[i] = eventJSON{ID: e.ID, Kind: e.Kind, IP: e.IP, UserAgent: e.UserAgent, RequestID: e.RequestID, CreatedAt: e.CreatedAt}
		}
		return Respond(w, http.StatusOK, res)
	}
}

// securityEvent adds kind to the user's security log, for what happens
// here rather than in identity (sign-in, sign-out, revocations). The
// action has happened already, so a failure to record it is logged, not
// answered.
func (s *Server) securityEvent(r *http.Request, userID uuid.UUID, kind string) {
	if err := s.identity.RecordSecurityEvent(r.Context(), userID, kind); err != nil {
		s.log.WarnContext(r.Context(), "record a security event", "kind", kind, "user_id", userID, "err", err, "request_id", RequestID(r.Context()))
	}
}

// withOrigin puts where the request comes from (realIP has set
// RemoteAddr to the client address) into its context, for the
// security events identity records (identity.WithOrigin).
func withOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := identity.WithOrigin(r.Context(), identity.Origin{
			IP: r.RemoteAddr, UserAgent: r.UserAgent(), RequestID: RequestID(r.Context()),
		})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
