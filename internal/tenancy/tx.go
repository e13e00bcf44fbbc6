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
	// ErrTenantConflict: two sources of the request name different tenants
	// (see Resolver.Resolve).
	ErrTenantConflict = problem.New(http.StatusBadRequest, "tenant_conflict",
		"The X-Tenant header, the /api/t/{tenant} path and the subdomain do not all name the same tenant, or the path or subdomain names another tenant than the session.")
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
	key            database.ContextKey
	acquireTimeout time.Duration
}

// NewManager returns a Manager whose transactions run on pool, which
// connects as the tenant login role (TENANT_DATABASE_URL; see
// database.CheckTenantRole), and are scoped with key, the tenant context key
// the database holds. acquireTimeout bounds the wait for a pooled connection
// (0: database.DefaultAcquireTimeout); past it Run fails with ErrUnavailable
// (a 503), so a saturated pool sheds load instead of queueing requests
// without limit.
func NewManager(pool *pgxpool.Pool, members Members, key database.ContextKey, acquireTimeout time.Duration) *Manager {
	if acquireTimeout <= 0 {
		acquireTimeout = database.DefaultAcquireTimeout
	}
	return &Manager{pool: pool, members: members, key: key, acquireTimeout: acquireTimeout}
}

// beginQuery starts a transaction and scopes it to tenantID, in one round
// trip (pgx sends a query without arguments over the simple protocol, which
// allows several statements): app.tenant_id and app.tenant_sig, its
// signature for this connection (database.ContextKey.Sign), both
// transaction-local, so they end with it. app.current_tenant_id() trusts the
// id only with a signature that verifies, so SQL inside the transaction can
// change the setting but not the tenant it sees.
//
// This is the one place SQL text is built from values, and deliberately:
// the id is a parsed uuid.UUID rendered by its own String method (36 hex
// digits and dashes) and the signature is hex. Never copy the pattern with a
// string.
func (m *Manager) beginQuery(tenantID uuid.UUID, pid uint32) string {
	return "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SELECT set_config('app.tenant_id', '" + tenantID.String() +
		"', true), set_config('app.tenant_sig', '" + m.key.Sign(tenantID, pid) + "', true)"
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

	tx, err := conn.BeginTx(ctx, pgx.TxOptions{BeginQuery: m.beginQuery(tenantID, conn.Conn().PgConn().PID())})
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

// CheckContext proves that the database verifies this server's tenant
// scopes: a transaction scoped to a random tenant must see that tenant as
// app.current_tenant_id(). serve calls it at start-up, so a key that differs
// from the one `migrate up` stored stops the server instead of making every
// tenant look empty.
func (m *Manager) CheckContext(ctx context.Context) error {
	conn, err := m.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("check the tenant context: %w", err)
	}
	defer conn.Release()
	probe := uuid.New()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{BeginQuery: m.beginQuery(probe, conn.Conn().PgConn().PID())})
	if err != nil {
		return fmt.Errorf("check the tenant context: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var got uuid.NullUUID
	if err := tx.QueryRow(ctx, "SELECT app.current_tenant_id()").Scan(&got); err != nil {
		return fmt.Errorf("check the tenant context: %w", err)
	}
	if !got.Valid || got.UUID != probe {
		return errors.New("TENANT_CONTEXT_KEY: the database does not verify this key (it holds another one, or none); " +
			"run `server migrate up` with the TENANT_CONTEXT_KEY that serve uses")
	}
	return nil
}
