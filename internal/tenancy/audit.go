package tenancy

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/identity"
)

// Bounds of an audit event, which the audit_events table also enforces.
const (
	// MaxAuditDetail bounds an event's detail, as JSON, in bytes.
	MaxAuditDetail = 4096
	// MaxAuditTarget bounds an event's target, in bytes.
	MaxAuditTarget = 200
	maxAuditAction = 100
)

// actionPattern is the shape of an action: dotted snake_case words, at
// least two ("project.created", "member.role_changed").
var actionPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// insertAuditSQL records one event. The tenant and the actor are the
// transaction's own (RLS's WITH CHECK refuses any other tenant).
const insertAuditSQL = `INSERT INTO audit_events (tenant_id, actor, action, target, detail, request_id, ip, api_key_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

// auditEvent is an event Audit queued, written with COMMIT.
type auditEvent struct {
	action, target string
	detail         []byte
	origin         identity.Origin
}

// Audit records, in the request's tenant transaction, that the caller did
// action (dotted snake_case, such as "project.deleted") to target (an id
// or a name), with detail (anything encoding/json takes, nil for none; at
// most MaxAuditDetail bytes as JSON). The actor is the transaction's user;
// the request id and IP come from identity.WithOrigin.
//
// The event is written with the transaction's COMMIT, in the same round
// trip, so recording costs no round trip of its own: it is committed with
// the change it records or not at all (an event that fails to insert fails
// the COMMIT, and the request). Call it after the change succeeded. It
// returns an error for a malformed event and, like every tenant query,
// ErrNoTenant outside Run and ErrTenantNotFound for a non-member.
func Audit(ctx context.Context, action, target string, detail any) error {
	s, ok := ctx.Value(scopeKey{}).(*scoped)
	if !ok {
		return ErrNoTenant
	}
	e, err := newAuditEvent(ctx, action, target, detail)
	if err != nil {
		return err
	}
	// The membership check comes first: nothing is queued for a caller
	// whose transaction would not open.
	if err := s.ensureOpen(ctx); err != nil {
		return err
	}
	s.audit = append(s.audit, e)
	return nil
}

// newAuditEvent checks and encodes an event.
func newAuditEvent(ctx context.Context, action, target string, detail any) (auditEvent, error) {
	if len(action) > maxAuditAction || !actionPattern.MatchString(action) {
		return auditEvent{}, fmt.Errorf("tenancy: audit action %q is not dotted snake_case", action)
	}
	if len(target) > MaxAuditTarget {
		return auditEvent{}, fmt.Errorf("tenancy: audit target of %s longer than %d bytes", action, MaxAuditTarget)
	}
	b := []byte("{}")
	if detail != nil {
		var err error
		if b, err = json.Marshal(detail); err != nil {
			return auditEvent{}, fmt.Errorf("tenancy: audit detail of %s: %w", action, err)
		}
	}
	if len(b) > MaxAuditDetail {
		return auditEvent{}, fmt.Errorf("tenancy: audit detail of %s is %d bytes, over %d", action, len(b), MaxAuditDetail)
	}
	// The request's origin, as the HTTP layer handed it to identity for
	// security events: one per request, for both logs.
	return auditEvent{action: action, target: target, detail: b, origin: identity.OriginFrom(ctx)}, nil
}

// queueAudit queues the insert of every event Audit recorded.
func (s *scoped) queueAudit(b *pgx.Batch) {
	// An API key acts as nobody: the event names the key, not its creator
	// (who may have left the tenant since).
	actor, key := uuid.NullUUID{UUID: s.scope.UserID, Valid: true}, uuid.NullUUID{}
	if s.scope.APIKeyID != uuid.Nil {
		actor, key = uuid.NullUUID{}, uuid.NullUUID{UUID: s.scope.APIKeyID, Valid: true}
	}
	for _, e := range s.audit {
		b.Queue(insertAuditSQL, s.scope.TenantID, actor, e.action, e.target, string(e.detail), e.origin.RequestID, e.origin.IP, key)
	}
}
