package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/auth"
	"github.com/tenantkit/tenantkit/internal/identity"
)

// Platform administration (issue 10): /api/admin, for platform admins only
// (`server admins grant EMAIL`). Acting inside a tenant is not here: a
// platform admin does that through the tenant-scoped routes with an
// X-Admin-Reason header (tenantScoped).

// errRouteNotFound is the router's answer to an unknown route, which the
// admin routes give anyone but a platform admin: their existence is not
// told.
var errRouteNotFound = errorf(http.StatusNotFound, "not_found", "No such route.")

// platformAdminsOnly lets platform admins through and answers everyone
// else, signed in or not, like an unknown route, whatever the path under
// it and the method.
func (s *Server) platformAdminsOnly(next http.Handler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			return errRouteNotFound
		}
		admin, err := s.identity.IsPlatformAdmin(r.Context(), p.UserID)
		if err != nil {
			return err
		}
		if !admin {
			return errRouteNotFound
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// handleAdminTenants searches every tenant: ?q= in the slug or name (or
// the id), newest first, a page at a time.
func (s *Server) handleAdminTenants() Handler {
	type tenantJSON struct {
		ID        uuid.UUID `json:"id"`
		Slug      string    `json:"slug"`
		Name      string    `json:"name"`
		Members   int64     `json:"members"`
		CreatedAt time.Time `json:"created_at"`
	}
	type response struct {
		Tenants    []tenantJSON `json:"tenants"`
		NextCursor string       `json:"next_cursor,omitempty"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		page, err := ParsePage(r)
		if err != nil {
			return err
		}
		list, err := s.identity.AdminSearchTenants(r.Context(), r.URL.Query().Get("q"), page.After.CreatedAt, page.After.ID, page.Fetch())
		if err != nil {
			return err
		}
		list, next := Paginate(page, list, func(t identity.AdminTenant) Key { return Key{CreatedAt: t.CreatedAt, ID: t.ID} })
		res := response{Tenants: make([]tenantJSON, len(list)), NextCursor: next}
		for i, t := range list {
			res.Tenants[i] = tenantJSON{ID: t.ID, Slug: t.Slug, Name: t.Name, Members: t.Members, CreatedAt: t.CreatedAt}
		}
		return Respond(w, http.StatusOK, res)
	}
}

// adminUserJSON is a user as the admin routes show them.
type adminUserJSON struct {
	ID            uuid.UUID `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	CreatedAt     time.Time `json:"created_at"`
	Disabled      bool      `json:"disabled"`
	EmailVerified bool      `json:"email_verified"`
	PlatformAdmin bool      `json:"platform_admin"`
}

// handleAdminUsers searches every user: ?q= in the email or name (or the
// id), newest first, a page at a time.
func (s *Server) handleAdminUsers() Handler {
	type response struct {
		Users      []adminUserJSON `json:"users"`
		NextCursor string          `json:"next_cursor,omitempty"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		page, err := ParsePage(r)
		if err != nil {
			return err
		}
		list, err := s.identity.AdminSearchUsers(r.Context(), r.URL.Query().Get("q"), page.After.CreatedAt, page.After.ID, page.Fetch())
		if err != nil {
			return err
		}
		list, next := Paginate(page, list, func(u identity.AdminUser) Key { return Key{CreatedAt: u.CreatedAt, ID: u.ID} })
		res := response{Users: make([]adminUserJSON, len(list)), NextCursor: next}
		for i, u := range list {
			res.Users[i] = adminUserJSON{ID: u.ID, Email: u.Email, Name: u.Name, CreatedAt: u.CreatedAt,
				Disabled: u.Disabled, EmailVerified: u.EmailVerified, PlatformAdmin: u.PlatformAdmin}
		}
		return Respond(w, http.StatusOK, res)
	}
}

// errUserNotFound: no user has the id in the path (a malformed id
// included). identity.ErrUserNotFound itself answers 401, as it does for
// a caller whose account is gone.
var errUserNotFound = errorf(http.StatusNotFound, "not_found", "No user has this id.")

// handleAdminDisableUser disables a user: they can no longer sign in, and
// every session of theirs ends, so their next request is 401
// (identity.Service.DisableUser). Disabling a disabled user is a no-op.
func (s *Server) handleAdminDisableUser() Handler {
	return s.adminSetDisabled(s.identity.DisableUser)
}

// handleAdminEnableUser enables a disabled user: they may sign in again
// (their old sessions stay ended). Enabling an enabled user is a no-op.
func (s *Server) handleAdminEnableUser() Handler {
	return s.adminSetDisabled(s.identity.EnableUser)
}

// adminSetDisabled is the handler of disable and enable: change the user
// in the path, answer 204, or 404 not_found for no such user.
func (s *Server) adminSetDisabled(change func(ctx context.Context, id uuid.UUID) error) Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := principal(r)
		if err != nil {
			return err
		}
		id, err := uuid.Parse(chi.URLParam(r, "user_id"))
		if err != nil {
			return errUserNotFound
		}
		if err := change(r.Context(), id); errors.Is(err, identity.ErrUserNotFound) {
			return errUserNotFound
		} else if err != nil {
			return err
		}
		s.log.InfoContext(r.Context(), "platform admin changed a user", "admin_id", p.UserID, "user_id", id,
			"route", r.URL.Path, "request_id", RequestID(r.Context()))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
