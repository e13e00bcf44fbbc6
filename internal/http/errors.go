package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/problem"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// errorf returns a problem that belongs to the HTTP layer itself (bad JSON,
// wrong content type). Components declare their own with problem.New.
func errorf(status int, code, detail string) *problem.Error {
	return problem.New(status, code, detail)
}

// Problem is an RFC 9457 problem details body. Its type is always
// about:blank, so its title is the status phrase; code says what went wrong
// and detail explains it to a person.
type Problem struct {
	Type      string                  `json:"type"`
	Title     string                  `json:"title"`
	Status    int                     `json:"status"`
	Detail    string                  `json:"detail,omitempty"`
	Code      string                  `json:"code"`
	Errors    []validation.FieldError `json:"errors,omitempty"`
	RequestID string                  `json:"request_id,omitempty"`
}

// WriteError renders err as a problem response for code outside the
// package that must answer an error itself (the session middleware).
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeError(w, r, err)
}

// writeError renders err as a problem response; it is the only place errors
// become responses.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(r.Context(), err)
	p.RequestID = RequestID(r.Context())
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

// problemFor chooses err's response: the problem it wraps (declared by the
// component that returned it, see package problem), field problems, an
// unreachable dependency (503), a client that went away, or else a 500 whose
// body says nothing about err.
func problemFor(ctx context.Context, err error) Problem {
	newProblem := func(status int, code, detail string) Problem {
		return Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
	}
	if fe, ok := errors.AsType[validation.Errors](err); ok {
		p := newProblem(http.StatusBadRequest, "invalid_request", "The request has invalid fields.")
		p.Errors = fe
		return p
	}
	if pe, ok := errors.AsType[*problem.Error](err); ok {
		return newProblem(pe.Status, pe.Code, pe.Detail)
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
