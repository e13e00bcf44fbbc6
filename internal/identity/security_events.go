package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// The kinds of security event, as GET /api/me/security-events lists them.
const (
	EventLogin                = "login"
	EventLoginFailed          = "login_failed" // a wrong password for an existing account
	EventLogout               = "logout"
	EventEmailVerified        = "email_verified"
	EventPasswordChanged      = "password_changed"
	EventPasswordReset        = "password_reset"
	EventEmailChanged         = "email_changed"
	EventSessionRevoked       = "session_revoked"
	EventOtherSessionsRevoked = "other_sessions_revoked"
	EventAccountDisabled      = "account_disabled" // by an operator or a platform admin
	EventAccountEnabled       = "account_enabled"
)

// SecurityEventRetention is how long security events are kept; the
// periodic cleanup (DeleteOldSecurityEvents) deletes older ones.
const SecurityEventRetention = 180 * 24 * time.Hour

// SecurityEvent is one entry of a user's own security log.
type SecurityEvent struct {
	ID        uuid.UUID
	Kind      string
	IP        string
	UserAgent string
	RequestID string
	CreatedAt time.Time
}

// Origin is where a request comes from, recorded with each security event
// it causes and with each tenant audit event (tenancy.Audit). The HTTP
// layer puts it in the request's context once (WithOrigin).
type Origin struct {
	IP, UserAgent, RequestID string
}

type originKey struct{}

// WithOrigin returns ctx carrying o.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom is the Origin in ctx (zero outside a request), each field cut
// to what the logs hold.
func OriginFrom(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return Origin{IP: validation.Truncate(o.IP, 64), UserAgent: validation.Truncate(o.UserAgent, 256), RequestID: validation.Truncate(o.RequestID, 128)}
}

// recordSecurityEvent writes a security event of kind for userID on q (the
// caller's transaction, or the pool), with ctx's Origin.
func recordSecurityEvent(ctx context.Context, q *identitydb.Queries, userID uuid.UUID, kind string) error {
	o := OriginFrom(ctx)
	err := q.InsertSecurityEvent(ctx, identitydb.InsertSecurityEventParams{
		UserID: userID, Kind: kind, Ip: o.IP, UserAgent: o.UserAgent, RequestID: o.RequestID,
	})
	if err != nil {
		return fmt.Errorf("record %s: %w", kind, err)
	}
	return nil
}

// RecordSecurityEvent adds kind to the user's security log, for what
// happens outside identity (sign-in and sign-out, session revocations).
// Changes identity makes record their own, in their transaction.
func (s *Service) RecordSecurityEvent(ctx context.Context, userID uuid.UUID, kind string) error {
	return recordSecurityEvent(ctx, identitydb.New(s.pool), userID, kind)
}

// SecurityEvents returns the user's security events, newest first: at most
// limit of them, older than (beforeAt, beforeID) when beforeAt is not zero.
func (s *Service) SecurityEvents(ctx context.Context, userID uuid.UUID, beforeAt time.Time, beforeID uuid.UUID, limit int) ([]SecurityEvent, error) {
	rows, err := identitydb.New(s.pool).ListSecurityEvents(ctx, identitydb.ListSecurityEventsParams{
		UserID: userID, HasCursor: !beforeAt.IsZero(), BeforeCreatedAt: beforeAt, BeforeID: beforeID, MaxRows: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list security events: %w", err)
	}
	events := make([]SecurityEvent, len(rows))
	for i, r := range rows {
		events[i] = SecurityEvent{ID: r.ID, Kind: r.Kind, IP: r.Ip, UserAgent: r.UserAgent, RequestID: r.RequestID, CreatedAt: r.CreatedAt}
	}
	return events, nil
}

// DeleteOldSecurityEvents deletes events older than SecurityEventRetention,
// in batches, and returns how many; a periodic job runs it.
func (s *Service) DeleteOldSecurityEvents(ctx context.Context) (int64, error) {
	const batch = 1000
	var total int64
	for {
		n, err := identitydb.New(s.pool).DeleteOldSecurityEvents(ctx, identitydb.DeleteOldSecurityEventsParams{
			KeepDays: int32(SecurityEventRetention / (24 * time.Hour)), Batch: batch,
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("delete old security events: %w", err)
		}
		if n < batch {
			return total, nil
		}
	}
}

// maxFailedLoginWrites bounds the failed-login events being written at
// once; past it, events are dropped (and logged) rather than queued.
const maxFailedLoginWrites = 8

// recordFailedLogin writes EventLoginFailed for the account in the
// background. Not in the request: an unknown email writes nothing, and a
// write the caller waits for would make a known account's failure slower,
// telling the two apart. Bounded: under a guessing storm, events beyond
// maxFailedLoginWrites in flight are dropped.
func (s *Service) recordFailedLogin(ctx context.Context, userID uuid.UUID) {
	select {
	case s.eventWrites <- struct{}{}:
	default:
		s.cfg.Logger.WarnContext(ctx, "identity: failed-login event dropped (too many in flight)", "user_id", userID)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	go func() {
		defer func() { <-s.eventWrites; cancel() }()
		if err := s.RecordSecurityEvent(ctx, userID, EventLoginFailed); err != nil {
			s.cfg.Logger.WarnContext(ctx, "identity: record a failed login", "user_id", userID, "err", err)
		}
	}()
}
