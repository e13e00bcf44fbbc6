package httpapi

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/tenancy"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// handleCreateTenant creates a tenant owned by the caller.
func (s *Server) handleCreateTenant() Handler {
	type request struct {
		Name string `json:"name"`
		Slug string `json:"slug"`
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
		t, err := s.identity.CreateTenant(r.Context(), p.UserID, req.Name, req.Slug)
		if err != nil {
			return err
		}
		return Respond(w, http.StatusCreated, response{Tenant: toTenantJSON(t)})
	}
}

// handleListTenants lists the tenants the caller belongs to, with their role.
func (s *Server) handleListTenants() Handler {
	type tenantRoleJSON struct {
		tenantJSON
		Role identity.Role `json:"role"`
	}
	type response struct {
		Tenants []tenantRoleJSON `json:"tenants"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := principal(r)
		if err != nil {
			return err
		}
		list, err := s.identity.UserTenants(r.Context(), p.UserID)
		if err != nil {
			return err
		}
		res := response{Tenants: make([]tenantRoleJSON, len(list))}
		for i, t := range list {
			res.Tenants[i] = tenantRoleJSON{tenantJSON: toTenantJSON(t.Tenant), Role: t.Role}
		}
		return Respond(w, http.StatusOK, res)
	}
}

// handleListMembers lists the members of the current tenant.
func (s *Server) handleListMembers() Handler {
	type memberJSON struct {
		UserID uuid.UUID     `json:"user_id"`
		Email  string        `json:"email"`
		Name   string        `json:"name"`
		Role   identity.Role `json:"role"`
	}
	type response struct {
		Members []memberJSON `json:"members"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, ok := tenancy.FromContext(r.Context())
		if !ok {
			return tenancy.ErrNoTenant
		}
		list, err := s.identity.Members(r.Context(), tenancy.DB(r.Context()), scope.TenantID)
		if err != nil {
			return err
		}
		res := response{Members: make([]memberJSON, len(list))}
		for i, m := range list {
			res.Members[i] = memberJSON{UserID: m.UserID, Email: m.Email, Name: m.Name, Role: m.Role}
		}
		return Respond(w, http.StatusOK, res)
	}
}

// errKeyCannotManage: identity's member and tenant changes are a
// person's: an API key's role does not reach them.
var errKeyCannotManage = errorf(http.StatusForbidden, "forbidden",
	"API keys cannot manage members, invitations or the tenant: a member must.")

// memberActing starts a member's change to the request's tenant that
// identity makes: it requires p (tenancy.Require, 403 forbidden) and
// returns the scope and the actor for identity's audit events. An API key
// is refused (see actorOf). The permission stays at the call site, where
// the route's reader looks for it.
func memberActing(r *http.Request, p tenancy.Permission) (tenancy.Scope, identity.Actor, error) {
	if err := tenancy.Require(r.Context(), p); err != nil {
		return tenancy.Scope{}, identity.Actor{}, err
	}
	scope, ok := tenancy.FromContext(r.Context())
	if !ok {
		return tenancy.Scope{}, identity.Actor{}, tenancy.ErrNoTenant
	}
	actor, err := actorOf(r, scope)
	return scope, actor, err
}

// actorOf is the caller of a tenant-scoped request, for identity's changes
// and their audit events: a member. An API key is refused (identity would
// judge the change by its creator's role, not the key's).
func actorOf(r *http.Request, scope tenancy.Scope) (identity.Actor, error) {
	if scope.APIKeyID != uuid.Nil {
		return identity.Actor{}, errKeyCannotManage
	}
	o := identity.OriginFrom(r.Context())
	return identity.Actor{UserID: scope.UserID, RequestID: o.RequestID, IP: o.IP}, nil
}

// memberTarget parses the {user_id} of a member route.
func memberTarget(r *http.Request) (uuid.UUID, error) {
	return PathID(r, "user_id", identity.ErrMemberNotFound)
}

// handleChangeMemberRole changes a member's role: admin and above, within
// identity's rules (owners for admins and owners; the last owner stays).
func (s *Server) handleChangeMemberRole() Handler {
	type request struct {
		Role identity.Role `json:"role"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, actor, err := memberActing(r, tenancy.PermManageMembers)
		if err != nil {
			return err
		}
		userID, err := memberTarget(r)
		if err != nil {
			return err
		}
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		if err := s.identity.ChangeMemberRole(r.Context(), actor, scope.TenantID, userID, req.Role); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// handleRemoveMember removes a member: admin and above, within identity's
// rules.
func (s *Server) handleRemoveMember() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, actor, err := memberActing(r, tenancy.PermManageMembers)
		if err != nil {
			return err
		}
		userID, err := memberTarget(r)
		if err != nil {
			return err
		}
		if err := s.identity.RemoveMemberAs(r.Context(), actor, scope.TenantID, userID); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// handleLeaveTenant ends the caller's own membership; any member but the
// last owner.
func (s *Server) handleLeaveTenant() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, ok := tenancy.FromContext(r.Context())
		if !ok {
			return tenancy.ErrNoTenant
		}
		// The membership check, before identity acts on it.
		if _, err := tenancy.Role(r.Context()); err != nil {
			return err
		}
		actor, err := actorOf(r, scope)
		if err != nil {
			return err
		}
		if err := s.identity.LeaveTenant(r.Context(), actor, scope.TenantID); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// handleGetTenant answers the current tenant and the caller's role in it;
// every role.
func (s *Server) handleGetTenant() Handler {
	type response struct {
		Tenant tenantJSON    `json:"tenant"`
		Role   identity.Role `json:"role"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, ok := tenancy.FromContext(r.Context())
		if !ok {
			return tenancy.ErrNoTenant
		}
		// The query first: its round trip checks the membership too, and
		// Role then knows the role.
		t, err := s.identity.CurrentTenant(r.Context(), tenancy.DB(r.Context()), scope.TenantID)
		if err != nil {
			return err
		}
		role, err := tenancy.Role(r.Context())
		if err != nil {
			return err
		}
		return Respond(w, http.StatusOK, response{Tenant: toTenantJSON(t), Role: role})
	}
}

// handleUpdateTenant renames the current tenant or changes its slug:
// owners only.
func (s *Server) handleUpdateTenant() Handler {
	type request struct {
		Name Optional[string] `json:"name"`
		Slug Optional[string] `json:"slug"`
	}
	type response struct {
		Tenant tenantJSON `json:"tenant"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		// The fast refusal; identity checks the role again under the
		// tenant's lock. Nothing in this transaction may write before
		// identity's UPDATE of the tenant row: a row referencing the tenant
		// would hold a lock that a slug change waits for.
		scope, actor, err := memberActing(r, tenancy.PermManageTenant)
		if err != nil {
			return err
		}
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		var problems validation.Errors
		for _, f := range []struct {
			name string
			o    Optional[string]
		}{{"name", req.Name}, {"slug", req.Slug}} {
			if f.o.Set && f.o.Value == nil {
				problems.Add(f.name, "must be a string, not null")
			}
		}
		if err := problems.Err(); err != nil {
			return err
		}
		t, err := s.identity.UpdateTenant(r.Context(), actor, scope.TenantID,
			identity.TenantUpdate{Name: req.Name.Value, Slug: req.Slug.Value})
		if err != nil {
			return err
		}
		return Respond(w, http.StatusOK, response{Tenant: toTenantJSON(t)})
	}
}

// handleTransferTenant makes another member an owner and the caller, an
// owner, an admin: owners only.
func (s *Server) handleTransferTenant() Handler {
	type request struct {
		UserID string `json:"user_id"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, actor, err := memberActing(r, tenancy.PermManageTenant)
		if err != nil {
			return err
		}
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		if req.UserID == "" {
			return validation.Errors{{Field: "user_id", Detail: "is required"}}
		}
		// As in the member routes' paths, an id that is no id names no
		// member.
		userID, err := uuid.Parse(req.UserID)
		if err != nil {
			return identity.ErrMemberNotFound
		}
		if err := s.identity.TransferTenant(r.Context(), actor, scope.TenantID, userID); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// handleDeleteTenant deletes the current tenant and every row of it:
// owners only, re-authenticated (the password in the body, or a login
// within the re-auth window). Sessions whose current tenant it was have
// none from then on.
func (s *Server) handleDeleteTenant() Handler {
	type request struct {
		Password *string `json:"password"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, actor, err := memberActing(r, tenancy.PermManageTenant)
		if err != nil {
			return err
		}
		var req request
		if r.ContentLength != 0 { // a body is optional: no password, the re-auth window
			if err := Decode(r, &req); err != nil {
				return err
			}
		}
		if _, _, err := s.reauthenticate(w, r, req.Password); err != nil {
			return err
		}
		t, err := s.identity.DeleteTenant(r.Context(), actor, scope.TenantID)
		if err != nil {
			return err
		}
		// The tenant's audit log went with it: the deletion is recorded here.
		s.log.InfoContext(r.Context(), "tenant deleted", "tenant_id", t.ID, "slug", t.Slug, "by", scope.UserID)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
