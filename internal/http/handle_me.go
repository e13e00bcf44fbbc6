package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/auth"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/session"
)

type tenantJSON struct {
	ID   uuid.UUID `json:"id"`
	Slug string    `json:"slug"`
	Name string    `json:"name"`
}

func toTenantJSON(t identity.Tenant) tenantJSON {
	return tenantJSON{ID: t.ID, Slug: t.Slug, Name: t.Name}
}

// errTokenTenantFixed: PUT /api/me/tenant with a bearer access token.
var errTokenTenantFixed = errorf(http.StatusBadRequest, "invalid_request",
	"A token sign-in's tenant is chosen when it signs in (POST /api/auth/token with tenant) or named per request (X-Tenant); PUT /api/me/tenant moves a cookie session.")

// errKeyNeedsUser: an API key on a route that needs a signed-in user.
var errKeyNeedsUser = auth.ErrUnauthenticated.WithDetail("An API key acts only on its tenant's routes; this one needs a signed-in user.")

// principal returns the calling user; routes that call it sit behind
// Require. An API key is no user: it gets ErrUnauthenticated.
func principal(r *http.Request) (auth.Principal, error) {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	if p.Method == auth.MethodAPIKey {
		return auth.Principal{}, errKeyNeedsUser
	}
	return p, nil
}

// caller loads the principal's user and, when the session has a current
// tenant the user still belongs to, that tenant and role (nil otherwise). A
// user who is gone or disabled is ErrUnauthenticated.
func (s *Server) caller(ctx context.Context, p auth.Principal) (identity.User, *identity.TenantRole, error) {
	u, current, err := s.identity.Caller(ctx, p.UserID, p.TenantID)
	if errors.Is(err, identity.ErrUserNotFound) || (err == nil && u.Disabled) {
		return identity.User{}, nil, auth.ErrUnauthenticated
	}
	return u, current, err
}

// handleMe returns the caller and the session's current tenant and role
// (both null when there is none or the caller is no longer a member).
func (s *Server) handleMe() Handler {
	type response struct {
		User   userJSON       `json:"user"`
		Tenant *tenantJSON    `json:"tenant"`
		Role   *identity.Role `json:"role"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := principal(r)
		if err != nil {
			return err
		}
		u, current, err := s.caller(r.Context(), p)
		if err != nil {
			return err
		}
		res := response{User: toUserJSON(u)}
		if current != nil {
			tj := toTenantJSON(current.Tenant)
			res.Tenant, res.Role = &tj, &current.Role
		}
		return Respond(w, http.StatusOK, res)
	}
}

// handleListSessions lists the caller's active sessions.
func (s *Server) handleListSessions() Handler {
	type sessionJSON struct {
		ID uuid.UUID `json:"id"`
		// Kind is "cookie" for a browser session, "token" for a bearer
		// token sign-in (POST /api/auth/token).
		Kind       string    `json:"kind"`
		CreatedAt  time.Time `json:"created_at"`
		LastSeenAt time.Time `json:"last_seen_at"`
		IP         string    `json:"ip"`
		UserAgent  string    `json:"user_agent"`
		Current    bool      `json:"current"`
	}
	type response struct {
		Sessions []sessionJSON `json:"sessions"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := principal(r)
		if err != nil {
			return err
		}
		list, err := s.sessions.List(r.Context(), p.UserID)
		if err != nil {
			return err
		}
		res := response{Sessions: make([]sessionJSON, len(list))}
		for i, ss := range list {
			kind := "cookie"
			if ss.Token {
				kind = "token"
			}
			res.Sessions[i] = sessionJSON{
				ID: ss.ID, Kind: kind, CreatedAt: ss.CreatedAt, LastSeenAt: ss.LastSeenAt,
				IP: ss.IP, UserAgent: ss.UserAgent, Current: ss.ID == p.SessionID,
			}
		}
		return Respond(w, http.StatusOK, res)
	}
}

// handleRevokeSession ends one of the caller's sessions.
func (s *Server) handleRevokeSession() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := principal(r)
		if err != nil {
			return err
		}
		id, err := uuid.Parse(chi.URLParam(r, "id"))
		if err != nil {
			return session.ErrNotFound
		}
		if err := s.sessions.Revoke(r.Context(), p.UserID, id); err != nil {
			return err
		}
		s.securityEvent(r, p.UserID, identity.EventSessionRevoked)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// handleRevokeOtherSessions ends every session of the caller but this one.
func (s *Server) handleRevokeOtherSessions() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := principal(r)
		if err != nil {
			return err
		}
		if err := s.sessions.RevokeOthers(r.Context(), p.UserID, p.SessionID); err != nil {
			return err
		}
		s.securityEvent(r, p.UserID, identity.EventOtherSessionsRevoked)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// handleSwitchTenant makes a tenant the session's current one, with a new
// session token (a privilege change).
func (s *Server) handleSwitchTenant() Handler {
	type request struct {
		Tenant string `json:"tenant"`
	}
	type response struct {
		Tenant tenantJSON `json:"tenant"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := principal(r)
		if err != nil {
			return err
		}
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		if p.Method != auth.MethodSession {
			return errTokenTenantFixed
		}
		tenants, err := s.identity.UserTenants(r.Context(), p.UserID)
		if err != nil {
			return err
		}
		ref := strings.TrimSpace(req.Tenant)
		id, idErr := uuid.Parse(ref)
		for _, t := range tenants {
			if (idErr == nil && t.ID == id) || t.Slug == ref {
				if err := s.sessions.SwitchTenant(r.Context(), t.ID); err != nil {
					return err
				}
				return Respond(w, http.StatusOK, response{Tenant: toTenantJSON(t.Tenant)})
			}
		}
		return identity.ErrTenantNotFound
	}
}
