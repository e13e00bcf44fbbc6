package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tenantkit/tenantkit/internal/audit/internal/auditdb"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/problem"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

// Errors of the component, each with its problem response.
var (
	ErrInvalidAction = problem.New(http.StatusBadRequest, "invalid_action", "action must be an event action such as member.removed.")
	ErrInvalidActor  = problem.New(http.StatusBadRequest, "invalid_actor", "actor must be a user id.")
)

// Event is one entry of the tenant's audit log, as the API shows it.
type Event struct {
	ID uuid.UUID `json:"id"`
	// Actor is the user who acted; nil once that user was deleted, and
	// for an API key.
	Actor *uuid.UUID `json:"actor"`
	// APIKeyID is the API key that acted, if one did.
	APIKeyID  *uuid.UUID      `json:"api_key_id"`
	Action    string          `json:"action"`
	Target    string          `json:"target"`
	Detail    json.RawMessage `json:"detail"`
	RequestID string          `json:"request_id"`
	IP        string          `json:"ip"`
	CreatedAt time.Time       `json:"created_at"`
}

// key is the event's position in the list order.
func (e Event) key() httpapi.Key { return httpapi.Key{CreatedAt: e.CreatedAt, ID: e.ID} }

// Filter narrows a listing; a zero field does not filter.
type Filter struct {
	Action string
	Actor  uuid.UUID
}

// Service is the audit log's API. It holds no connection.
type Service struct{}

// NewService returns a Service.
func NewService() *Service { return &Service{} }

// List returns up to limit events matching f, newest first, older than the
// one at before (the zero Key: from the newest). Admin and above
// (PermReadAudit).
func (s *Service) List(ctx context.Context, f Filter, before httpapi.Key, limit int) ([]Event, error) {
	scope, ok := tenancy.FromContext(ctx)
	if !ok {
		return nil, tenancy.ErrNoTenant
	}
	if err := tenancy.Require(ctx, tenancy.PermReadAudit); err != nil {
		return nil, err
	}
	rows, err := auditdb.New(tenancy.DB(ctx)).ListAuditEvents(ctx, auditdb.ListAuditEventsParams{
		TenantID:        scope.TenantID,
		HasCursor:       before != httpapi.Key{},
		BeforeCreatedAt: before.CreatedAt,
		BeforeID:        before.ID,
		Action:          pgtype.Text{String: f.Action, Valid: f.Action != ""},
		Actor:           uuid.NullUUID{UUID: f.Actor, Valid: f.Actor != uuid.Nil},
		MaxRows:         int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = Event{
			ID: r.ID, Action: r.Action, Target: r.Target, Detail: r.Detail,
			RequestID: r.RequestID, IP: r.Ip, CreatedAt: r.CreatedAt,
		}
		if r.Actor.Valid {
			out[i].Actor = &r.Actor.UUID
		}
		if r.ApiKeyID.Valid {
			out[i].APIKeyID = &r.ApiKeyID.UUID
		}
	}
	return out, nil
}

// Routes adds the audit log's route; it runs inside the request's tenant
// transaction.
func (s *Service) Routes(r httpapi.Router) {
	r.Handle("GET /audit-events", s.handleList)
}

// actionPattern is the shape of an action (as tenancy.Audit checks it).
var actionPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// handleList lists the tenant's audit events, newest first, a page at a
// time, filtered by ?action= and ?actor=.
func (s *Service) handleList(w http.ResponseWriter, r *http.Request) error {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	var f Filter
	q := r.URL.Query()
	if v := q.Get("action"); v != "" {
		if len(v) > 100 || !actionPattern.MatchString(v) {
			return ErrInvalidAction
		}
		f.Action = v
	}
	if v := q.Get("actor"); v != "" {
		if f.Actor, err = uuid.Parse(v); err != nil {
			return ErrInvalidActor
		}
	}
	list, err := s.List(r.Context(), f, page.After, page.Fetch())
	if err != nil {
		return err
	}
	list, next := httpapi.Paginate(page, list, Event.key)
	return httpapi.Respond(w, http.StatusOK, struct {
		Events     []Event `json:"events"`
		NextCursor string  `json:"next_cursor,omitempty"`
	}{list, next})
}
