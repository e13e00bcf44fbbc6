package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/auth"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/observe"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

type invitationJSON struct {
	ID        uuid.UUID     `json:"id"`
	Email     string        `json:"email"`
	Role      identity.Role `json:"role"`
	InvitedBy *uuid.UUID    `json:"invited_by"`
	CreatedAt time.Time     `json:"created_at"`
	ExpiresAt time.Time     `json:"expires_at"`
}

func toInvitationJSON(inv identity.Invitation) invitationJSON {
	j := invitationJSON{ID: inv.ID, Email: inv.Email, Role: inv.Role, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt}
	if inv.InvitedBy != uuid.Nil {
		j.InvitedBy = &inv.InvitedBy
	}
	return j
}

// maxInvitationsPerTenantHour bounds the invitations one tenant mails in
// an hour.
const maxInvitationsPerTenantHour = 100

// tenantRoleResponse is a tenant the caller has just joined, with their
// role in it.
type tenantRoleResponse struct {
	Tenant tenantJSON    `json:"tenant"`
	Role   identity.Role `json:"role"`
}

// handleInvite invites an address to the current tenant: admin and above,
// to a role they could give (identity's rules). Each address's hourly mail
// budget bounds how often it can be invited, by anyone.
func (s *Server) handleInvite() Handler {
	type request struct {
		Email string        `json:"email"`
		Role  identity.Role `json:"role"`
	}
	type response struct {
		Invitation invitationJSON `json:"invitation"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, actor, err := memberActing(r, tenancy.PermManageMembers)
		if err != nil {
			return err
		}
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		// Each address's hourly budget, and the tenant's: one admin cannot
		// turn invitations (whose subject names their tenant) into a mailer.
		tenantKey := counterKey("invitations", scope.TenantID.String())
		n, err := s.limits.addressMails.add(tenantKey, 1)
		if err != nil || n > maxInvitationsPerTenantHour || !s.mailBudget(req.Email) {
			if err == nil {
				_, _ = s.limits.addressMails.add(tenantKey, -1) // nothing is mailed
			}
			s.metrics.RateLimited(observe.LimitMailPerAddress)
			w.Header().Set("Retry-After", strconv.Itoa(int(time.Hour.Seconds())))
			return errRateLimited
		}
		inv, err := s.identity.Invite(r.Context(), actor, scope.TenantID, req.Email, req.Role)
		if err != nil {
			_, _ = s.limits.addressMails.add(tenantKey, -1) // a refused invitation mails nothing
			return err
		}
		return Respond(w, http.StatusCreated, response{Invitation: toInvitationJSON(inv)})
	}
}

// handleListInvitations lists the current tenant's pending invitations:
// admin and above.
func (s *Server) handleListInvitations() Handler {
	type response struct {
		Invitations []invitationJSON `json:"invitations"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, ok := tenancy.FromContext(r.Context())
		if !ok {
			return tenancy.ErrNoTenant
		}
		if err := tenancy.Require(r.Context(), tenancy.PermManageMembers); err != nil {
			return err
		}
		list, err := s.identity.Invitations(r.Context(), tenancy.DB(r.Context()), scope.TenantID)
		if err != nil {
			return err
		}
		res := response{Invitations: make([]invitationJSON, len(list))}
		for i, inv := range list {
			res.Invitations[i] = toInvitationJSON(inv)
		}
		return Respond(w, http.StatusOK, res)
	}
}

// handleRevokeInvitation ends a pending invitation: admin and above.
func (s *Server) handleRevokeInvitation() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, actor, err := memberActing(r, tenancy.PermManageMembers)
		if err != nil {
			return err
		}
		id, err := PathID(r, "id", identity.ErrInvitationNotFound)
		if err != nil {
			return err
		}
		if err := s.identity.RevokeInvitation(r.Context(), actor, scope.TenantID, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// handleAcceptInvitation makes the caller a member of the tenant an
// invitation is for, and that tenant their session's current one.
func (s *Server) handleAcceptInvitation() Handler {
	type request struct {
		Token string `json:"token"`
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
		o := identity.OriginFrom(r.Context())
		tr, err := s.identity.AcceptInvitation(r.Context(), identity.Actor{UserID: p.UserID, RequestID: o.RequestID, IP: o.IP}, req.Token)
		if err != nil {
			return err
		}
		// A cookie session moves to the tenant; a token client names it
		// (X-Tenant) from now on. The membership is committed either way.
		if p.Method == auth.MethodSession {
			if err := s.sessions.SwitchTenant(r.Context(), tr.Tenant.ID); err != nil {
				return err
			}
		}
		return Respond(w, http.StatusOK, tenantRoleResponse{Tenant: toTenantJSON(tr.Tenant), Role: tr.Role})
	}
}

// handleInvitationSignup creates an account for an invited address that
// has none, verified by the invitation's link, signs it in and makes the
// tenant its current one.
func (s *Server) handleInvitationSignup() Handler {
	type request struct {
		Token    string `json:"token"`
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	type response struct {
		User   userJSON      `json:"user"`
		Tenant tenantJSON    `json:"tenant"`
		Role   identity.Role `json:"role"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		u, tr, err := s.identity.SignUpWithInvitation(r.Context(), req.Token, req.Password, req.Name)
		if err != nil {
			return err
		}
		if err := s.sessions.Login(r, u.ID); err != nil {
			return err
		}
		if err := s.sessions.SwitchTenant(r.Context(), tr.Tenant.ID); err != nil {
			return err
		}
		s.securityEvent(r, u.ID, identity.EventLogin)
		return Respond(w, http.StatusCreated, response{User: toUserJSON(u), Tenant: toTenantJSON(tr.Tenant), Role: tr.Role})
	}
}

// handleDeclineInvitation ends an invitation, for whoever holds its link.
func (s *Server) handleDeclineInvitation() Handler {
	type request struct {
		Token string `json:"token"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		if err := s.identity.DeclineInvitation(r.Context(), req.Token); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
