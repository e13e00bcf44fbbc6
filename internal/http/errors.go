package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/tenantkit/tenantkit/internal/auth"
	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/projects"
	"github.com/tenantkit/tenantkit/internal/session"
	"github.com/tenantkit/tenantkit/internal/tenancy"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// Error is an HTTP error with a stable code; handlers return it for problems
// that belong to the HTTP layer itself (bad JSON, wrong content type).
type Error struct {
	Status int
	Code   string
	Detail string
}

func (e *Error) Error() string { return e.Code + ": " + e.Detail }

func errorf(status int, code, detail string) *Error {
	return &Error{Status: status, Code: code, Detail: detail}
}

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string                  `json:"type"`
	Title     string                  `json:"title"`
	Status    int                     `json:"status"`
	Detail    string                  `json:"detail,omitempty"`
	Code      string                  `json:"code"`
	Errors    []validation.FieldError `json:"errors,omitempty"`
	RequestID string                  `json:"request_id,omitempty"`
}

type sentinel struct {
	err    error
	status int
	code   string
	detail string
}

// sentinels maps domain errors to responses. The first match wins.
var sentinels = []sentinel{
	{auth.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated", "Sign in to continue."},
	{auth.ErrInvalidToken, http.StatusUnauthorized, "invalid_token", "The bearer token is not valid."},
	{identity.ErrInvalidCredentials, http.StatusUnauthorized, "invalid_credentials", "The email or password is incorrect."},
	{identity.ErrEmailTaken, http.StatusConflict, "email_taken", "An account with this email already exists."},
	{identity.ErrSlugTaken, http.StatusConflict, "slug_taken", "This tenant slug is taken."},
	{identity.ErrTenantNotFound, http.StatusNotFound, "tenant_not_found", "No such tenant."},
	{tenancy.ErrTenantNotFound, http.StatusNotFound, "tenant_not_found", "No such tenant."},
	{tenancy.ErrTenantRequired, http.StatusBadRequest, "tenant_required", "Name a tenant with the X-Tenant header, the /api/t/{tenant} path or PUT /api/me/tenant."},
	{tenancy.ErrTenantConflict, http.StatusBadRequest, "tenant_conflict", "The /api/t/{tenant} path and another source (X-Tenant, subdomain or session) name different tenants."},
	{session.ErrNoSession, http.StatusUnauthorized, "unauthenticated", "Sign in to continue."},
	{identity.ErrUserNotFound, http.StatusUnauthorized, "unauthenticated", "Sign in to continue."},
	{projects.ErrNotFound, http.StatusNotFound, "not_found", "No such project."},
	{projects.ErrNameTaken, http.StatusConflict, "name_taken", "A project with this name already exists in this tenant."},
	{session.ErrNotFound, http.StatusNotFound, "not_found", "No such session."},
	{session.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "The service is temporarily unavailable; try again shortly."},
	{tenancy.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "The service is temporarily unavailable; try again shortly."},
	{identity.ErrBusy, http.StatusServiceUnavailable, "unavailable", "The service is temporarily unavailable; try again shortly."},
}

// WriteError renders err as a problem response for code outside the
// package that must answer an error itself (the session middleware).
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeError(w, r, err)
}

// writeError renders err as a problem response; it is the only place errors
// become responses.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := s.problemFor(r.Context(), err)
	p.RequestID = requestIDFrom(r.Context())
	if p.Status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "err", err, "status", p.Status, "request_id", p.RequestID)
	}
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeProblem(w, p)
}

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func (s *Server) problemFor(ctx context.Context, err error) Problem {
	newProblem := func(status int, code, detail string) Problem {
		return Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
	}
	if he, ok := errors.AsType[*Error](err); ok {
		return newProblem(he.Status, he.Code, he.Detail)
	}
	if fe, ok := errors.AsType[validation.Errors](err); ok {
		p := newProblem(http.StatusBadRequest, "invalid_request", "The request has invalid fields.")
		p.Errors = fe
		return p
	}
	if errors.Is(err, identity.ErrWeakPassword) {
		// The reason (too short, too common) helps the user pick another.
		return newProblem(http.StatusUnprocessableEntity, "weak_password", err.Error())
	}
	for _, m := range sentinels {
		if errors.Is(err, m.err) {
			return newProblem(m.status, m.code, m.detail)
		}
	}
	if database.IsUnavailable(err) || errors.Is(err, context.DeadlineExceeded) {
		return newProblem(http.StatusServiceUnavailable, "unavailable", "The service is temporarily unavailable; try again shortly.")
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// The client went away; nobody reads this, but log it as such.
		return newProblem(499, "client_closed_request", "")
	}
	return newProblem(http.StatusInternalServerError, "internal_error", "Something went wrong on our side.")
}
