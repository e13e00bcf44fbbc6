package tenancy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/problem"
)

// Errors of the tenant context, each with its problem response.
var (
	// ErrTenantNotFound: no such tenant, or the caller is not a member.
	ErrTenantNotFound = problem.New(http.StatusNotFound, "tenant_not_found", "No such tenant.")
	// ErrTenantRequired: a tenant-scoped request named no tenant.
	ErrTenantRequired = problem.New(http.StatusBadRequest, "tenant_required",
		"Name a tenant with the X-Tenant header, the /api/t/{tenant} path or PUT /api/me/tenant.")
	// ErrTenantConflict: the URL path names one tenant, another source a
	// different one.
	ErrTenantConflict = problem.New(http.StatusBadRequest, "tenant_conflict",
		"The /api/t/{tenant} path and another source (X-Tenant, subdomain or session) name different tenants.")
	// ErrUnavailable: no database connection could be had in time.
	ErrUnavailable = problem.New(http.StatusServiceUnavailable, "unavailable", "The service is temporarily unavailable; try again shortly.")
)

// Members answers whether a user is an enabled member of a tenant. It runs on
// the tenant transaction, so RLS already limits it to that tenant.
// identity.Service implements it.
type Members interface {
	MemberRole(ctx context.Context, db identity.DBTX, tenantID, userID uuid.UUID) (identity.Role, error)
}

// Manager runs functions inside tenant transactions.
type Manager struct {
	pool           *pgxpool.Pool
	members        Members
	acquireTimeout time.Duration
}

// NewManager returns a Manager. acquireTimeout bounds the wait for a pooled
// connection (0: database.DefaultAcquireTimeout); past it Run fails with
// ErrUnavailable (a 503), so a saturated pool sheds load instead of
// queueing requests without limit.
func NewManager(pool *pgxpool.Pool, members Members, acquireTimeout time.Duration) *Manager {
	if acquireTimeout <= 0 {
		acquireTimeout = database.DefaultAcquireTimeout
	}
	return &Manager{pool: pool, members: members, acquireTimeout: acquireTimeout}
}

// TenantRole is the database role tenant transactions run as (see
// db/migrations/00001_platform.sql): tenant tables under RLS, its own
// tenant and that tenant's members read-only, nothing else.
const TenantRole = database.TenantRole

// beginQuery starts a transaction, drops to TenantRole and scopes the
// transaction to tenantID, in one round trip (pgx sends a query without
// arguments over the simple protocol, which allows several statements).
// Both settings are transaction-local, so they end with it.
//
// This is the one place SQL text is built from a value, and deliberately:
// the id is a parsed uuid.UUID rendered by its own String method, so it can
// only ever be 36 hex digits and dashes. Never copy the pattern with a string.
func beginQuery(tenantID uuid.UUID) string {
	return "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SET LOCAL ROLE " + TenantRole +
		"; SELECT set_config('app.tenant_id', '" + tenantID.String() + "', true)"
}

// Run begins a transaction scoped to tenantID, checks that userID is a
// member, and calls fn with a context that carries the transaction (DB) and
// the scope (FromContext). It commits when fn returns nil and rolls back when
// fn fails or panics or the context ends. Callers must not write response
// bytes from inside fn (the HTTP layer buffers them until Run returns).
func (m *Manager) Run(ctx context.Context, tenantID, userID uuid.UUID, fn func(ctx context.Context) error) (err error) {
	if tenantID == uuid.Nil {
		return ErrTenantRequired
	}
	acquireCtx, cancel := context.WithTimeout(ctx, m.acquireTimeout)
	conn, err := m.pool.Acquire(acquireCtx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer conn.Release()

	tx, err := conn.BeginTx(ctx, pgx.TxOptions{BeginQuery: beginQuery(tenantID)})
	if err != nil {
		return fmt.Errorf("begin tenant transaction: %w", err)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		// Roll back even when ctx is already cancelled; if the connection is
		// broken pgx closes it and the pool drops it, so no state survives.
		rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = tx.Rollback(rbCtx)
	}()

	role, err := m.members.MemberRole(ctx, tx, tenantID, userID)
	if errors.Is(err, identity.ErrNotMember) {
		return ErrTenantNotFound
	}
	if err != nil {
		return fmt.Errorf("check membership: %w", err)
	}

	scope := &scoped{scope: Scope{TenantID: tenantID, UserID: userID, Role: role}, tx: tx}
	if err := fn(context.WithValue(ctx, scopeKey{}, scope)); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit tenant transaction: %w", err)
	}
	committed = true
	return nil
}
