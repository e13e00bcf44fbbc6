package httpapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/session"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

type apiKeyJSON struct {
	ID         uuid.UUID     `json:"id"`
	Name       string        `json:"name"`
	Role       identity.Role `json:"role"`
	Prefix     string        `json:"prefix"`
	CreatedBy  *uuid.UUID    `json:"created_by"`
	CreatedAt  time.Time     `json:"created_at"`
	LastUsedAt *time.Time    `json:"last_used_at"`
	ExpiresAt  *time.Time    `json:"expires_at"`
}

func toAPIKeyJSON(k session.APIKey) apiKeyJSON {
	j := apiKeyJSON{
		ID: k.ID, Name: k.Name, Role: identity.Role(k.Role), Prefix: session.APIKeyPrefix + k.ID.String()[:8],
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, ExpiresAt: k.ExpiresAt,
	}
	if k.CreatedBy != uuid.Nil {
		j.CreatedBy = &k.CreatedBy
	}
	return j
}

// errKeyAboveCreator: an API key's role may not exceed its creator's.
var errKeyAboveCreator = errorf(http.StatusForbidden, "forbidden", "An API key's role cannot be above your own.")

// errAdminAccessCannotMintKeys: a platform admin's opt-in is one audited
// request, not a lasting credential.
var errAdminAccessCannotMintKeys = errorf(http.StatusForbidden, "forbidden",
	"A platform admin's access to a tenant cannot create or revoke its API keys: a member must.")

// keyManager is the member who manages the request's API keys: admin and
// above; never an API key itself, nor a platform admin's opt-in.
func keyManager(r *http.Request) (tenancy.Scope, error) {
	if err := tenancy.Require(r.Context(), tenancy.PermManageAPIKeys); err != nil {
		return tenancy.Scope{}, err
	}
	scope, ok := tenancy.FromContext(r.Context()) // after Require: the check has run
	if !ok {
		return tenancy.Scope{}, tenancy.ErrNoTenant
	}
	if scope.APIKeyID != uuid.Nil {
		return tenancy.Scope{}, errKeyCannotManage
	}
	return scope, nil
}

// keyChange is the member's key change, for its audit event; a platform
// admin's opt-in may list keys, never change them.
func keyChange(r *http.Request, scope tenancy.Scope) (session.KeyChange, error) {
	if scope.AdminAccess {
		return session.KeyChange{}, errAdminAccessCannotMintKeys
	}
	o := identity.OriginFrom(r.Context())
	return session.KeyChange{TenantID: scope.TenantID, UserID: scope.UserID, RequestID: o.RequestID, IP: o.IP}, nil
}

// handleCreateAPIKey creates an API key of the current tenant: admin and
// above, with a role no higher than the caller's (and never owner). The
// key is in the response once and stored nowhere.
func (s *Server) handleCreateAPIKey() Handler {
	type request struct {
		Name      string        `json:"name"`
		Role      identity.Role `json:"role"`
		ExpiresAt *time.Time    `json:"expires_at"`
	}
	type response struct {
		APIKey apiKeyJSON `json:"api_key"`
		Key    string     `json:"key"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, err := keyManager(r)
		if err != nil {
			return err
		}
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		mine, err := tenancy.Role(r.Context())
		if err != nil {
			return err
		}
		if req.Role.Outranks(mine) {
			return errKeyAboveCreator
		}
		change, err := keyChange(r, scope)
		if err != nil {
			return err
		}
		k, token, err := s.apiKeys.Create(r.Context(), change, req.Name, string(req.Role), req.ExpiresAt)
		if err != nil {
			return err
		}
		return Respond(w, http.StatusCreated, response{APIKey: toAPIKeyJSON(k), Key: token})
	}
}

// handleListAPIKeys lists the current tenant's API keys: admin and above.
func (s *Server) handleListAPIKeys() Handler {
	type response struct {
		APIKeys []apiKeyJSON `json:"api_keys"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, err := keyManager(r)
		if err != nil {
			return err
		}
		list, err := s.apiKeys.List(r.Context(), tenancy.DB(r.Context()), scope.TenantID)
		if err != nil {
			return err
		}
		res := response{APIKeys: make([]apiKeyJSON, len(list))}
		for i, k := range list {
			res.APIKeys[i] = toAPIKeyJSON(k)
		}
		return Respond(w, http.StatusOK, res)
	}
}

// handleRevokeAPIKey deletes an API key of the current tenant: admin and
// above. Its next request is 401.
func (s *Server) handleRevokeAPIKey() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		scope, err := keyManager(r)
		if err != nil {
			return err
		}
		id, err := PathID(r, "id", session.ErrAPIKeyNotFound)
		if err != nil {
			return err
		}
		change, err := keyChange(r, scope)
		if err != nil {
			return err
		}
		if err := s.apiKeys.Revoke(r.Context(), change, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
