package tenancy

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/problem"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// ActionAdminAccess is the audit action of a platform admin's access to a
// tenant they are not a member of (RunAsAdmin).
const ActionAdminAccess = "platform.admin_access"

// MaxAdminReason bounds the reason RunAsAdmin records, in bytes; a longer
// one is cut.
const MaxAdminReason = 500

// ErrAdminReasonRequired: a platform admin's opt-in names no reason.
var ErrAdminReasonRequired = problem.New(http.StatusBadRequest, "admin_reason_required",
	"X-Admin-Reason must say why a platform admin acts in this tenant.")

// adminAccess is RunAsAdmin's opt-in: the event that records it, queued
// when the membership check says the access is a platform admin's.
type adminAccess struct {
	event auditEvent
}

// RunAsAdmin is Run for a caller who may be a platform admin: the explicit,
// named opt-in through which a platform admin acts inside a tenant they
// are not a member of (the only way around tenant membership; RLS still
// scopes every statement to tenantID).
//
// Its membership check (identity's AdminQuery) admits a member of the
// tenant as Run does, with their own role, and records nothing. It admits
// an enabled platform admin who is not a member with the admin role, and
// then records ActionAdminAccess, with reason in its detail and the admin
// as its actor, in the tenant's audit log, in the same transaction: the
// event commits with whatever fn did, also when fn sent no statement, and
// rolls back with it. Anyone else gets ErrTenantNotFound, exactly as from
// Run.
//
// reason says why (a support ticket, say): it must hold a visible
// character (else ErrAdminReasonRequired) and is cut to MaxAdminReason
// bytes of valid UTF-8, control characters replaced by spaces.
func (m *Manager) RunAsAdmin(ctx context.Context, tenantID, userID uuid.UUID, reason string, fn func(ctx context.Context) error) error {
	reason = cleanReason(reason)
	if reason == "" {
		return ErrAdminReasonRequired
	}
	// The request's origin is RunAsAdmin's ctx's, whichever statement's
	// context later opens the transaction.
	event, err := newAuditEvent(ctx, ActionAdminAccess, tenantID.String(), map[string]string{"reason": reason})
	if err != nil {
		return err
	}
	s := &scoped{m: m, scope: Scope{TenantID: tenantID, UserID: userID}, admin: &adminAccess{event: event}}
	return m.run(ctx, s, fn)
}

// cleanReason makes reason one line of valid UTF-8, trimmed and within
// MaxAdminReason bytes ("" when nothing visible is left).
func cleanReason(reason string) string {
	reason = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, validation.Truncate(reason, MaxAdminReason))
	return strings.TrimSpace(reason)
}
