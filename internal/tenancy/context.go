package tenancy

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/internal/identity"
)

// DBTX is what sqlc-generated queries need; DB(ctx) returns one bound to the
// request's tenant transaction.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Scope is who a tenant transaction acts for: the tenant and the user.
// The user's role in it is Role's to answer.
type Scope struct {
	TenantID uuid.UUID
	UserID   uuid.UUID
	// APIKeyID is set when an API key acts (RunAsKey): the role is the
	// key's, and UserID is the user who created it (uuid.Nil once
	// deleted), whom the rows it creates name. Audit events name the key
	// and no user.
	APIKeyID uuid.UUID
	// AdminAccess is true, once the transaction has opened, when the user
	// is a platform admin who is no member and acts through RunAsAdmin's
	// opt-in: a per-request access, which must not mint lasting ones (API
	// keys).
	AdminAccess bool
}

type scopeKey struct{}

// FromContext returns the request's tenant scope; ok is false outside Run.
func FromContext(ctx context.Context) (Scope, bool) {
	s, ok := ctx.Value(scopeKey{}).(*scoped)
	if !ok {
		return Scope{}, false
	}
	return s.scope, true
}

// Role returns the user's role in the request's tenant. The membership
// check that answers it travels with the transaction's first statement;
// called before that, Role opens the transaction itself, which costs a
// round trip. Outside Run it returns ErrNoTenant; for a user who is not an
// enabled member, ErrTenantNotFound.
func Role(ctx context.Context) (identity.Role, error) {
	s, ok := ctx.Value(scopeKey{}).(*scoped)
	if !ok {
		return "", ErrNoTenant
	}
	if err := s.ensureOpen(ctx); err != nil {
		return "", err
	}
	return s.role, nil
}

// DB returns the tenant transaction of the request. Outside Run it returns a
// DBTX whose every call fails with ErrNoTenant, so a query that escapes the
// tenant transaction fails closed instead of running unscoped.
func DB(ctx context.Context) DBTX {
	if s, ok := ctx.Value(scopeKey{}).(*scoped); ok {
		return s
	}
	return noTenant{}
}

// ErrNoTenant means tenant data was queried outside a tenant transaction.
var ErrNoTenant = errors.New("tenancy: query outside a tenant transaction")

type noTenant struct{}

func (noTenant) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, ErrNoTenant
}

func (noTenant) Query(context.Context, string, ...any) (pgx.Rows, error) { return nil, ErrNoTenant }

func (noTenant) QueryRow(context.Context, string, ...any) pgx.Row { return errRow{} }

type errRow struct{}

func (errRow) Scan(...any) error { return ErrNoTenant }
