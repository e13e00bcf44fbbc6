package tenancy

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/internal/identity"
)

// RunAsKey is Run for an API key of tenantID (request auth found it):
// the transaction's check is the key's, not a membership, so it admits
// the key while it exists and has not expired, with the key's role, and
// ErrTenantNotFound once it is revoked (in the same round trip as fn's
// first statement, as Run's check). createdBy is the user who created the
// key (uuid.Nil once deleted): Scope.UserID, whom the rows the key
// creates name. Audit records the key as the actor.
func (m *Manager) RunAsKey(ctx context.Context, tenantID, keyID, createdBy uuid.UUID, fn func(ctx context.Context) error) error {
	if keyID == uuid.Nil {
		return errors.New("tenancy: RunAsKey without a key")
	}
	s := &scoped{m: m, scope: Scope{TenantID: tenantID, UserID: createdBy, APIKeyID: keyID}}
	return m.run(ctx, s, fn)
}

// scanKeyRole reads apiKeyRoleSQL's answer.
func scanKeyRole(row pgx.Row) (identity.Role, error) {
	var role string
	err := row.Scan(&role)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "TK404" {
		return "", identity.ErrNotMember // answered as ErrTenantNotFound
	}
	if err != nil {
		return "", fmt.Errorf("check API key: %w", err)
	}
	return identity.Role(role), nil
}
