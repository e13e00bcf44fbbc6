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
	// ErrTenantNotFound: the tenant does not exist or the user may not see
	// it; the two are indistinguishable on purpose.
	ErrTenantNotFound = problem.New(http.StatusNotFound, "tenant_not_found", "No such tenant.")
	// ErrTenantRequired: the request names no tenant.
	ErrTenantRequired = problem.New(http.StatusBadRequest, "tenant_required",
		"Name a tenant with the X-Tenant header, the /api/t/{tenant} path or PUT /api/me/tenant.")
	// ErrTenantConflict: the request names more than one tenant.
	ErrTenantConflict = problem.New(http.StatusBadRequest, "tenant_conflict",
		"The X-Tenant header, the /api/t/{tenant} path and the subdomain do not all name the same tenant, or the path or subdomain names another tenant than the session.")
	// ErrUnavailable: no database connection within the acquire timeout.
	ErrUnavailable = problem.New(http.StatusServiceUnavailable, "unavailable", "The service is temporarily unavailable; try again shortly.")
)

// Members is identity's membership check for tenant transactions (see
// identity.Service.CurrentRoleQuery): a statement that returns the user's
// role in the transaction's tenant and fails when they are not an enabled
// member of it, and the reader of its result (identity.ErrNotMember when
// it failed so; another error, such as identity.ErrUserNotFound for a
// disabled user, is passed on). AdminQuery and ScanAdminRole are the same
// check for RunAsAdmin, which also admits an enabled platform admin and
// says so (see identity.Service.AdminQuery). identity.Service implements
// it.
type Members interface {
	CurrentRoleQuery(userID uuid.UUID) (string, []any)
	ScanCurrentRole(ctx context.Context, userID uuid.UUID, row pgx.Row) (identity.Role, error)
	AdminQuery(userID uuid.UUID) (string, []any)
	ScanAdminRole(ctx context.Context, userID uuid.UUID, row pgx.Row) (identity.Role, bool, error)
}

var _ Members = (*identity.Service)(nil)

// Manager runs functions inside tenant transactions.
type Manager struct {
	pool           *pgxpool.Pool
	members        Members
	key            database.ContextKey
	acquireTimeout time.Duration
	observe        func(d time.Duration, outcome string) // nil: not observed
}

// NewManager returns a Manager whose transactions run on pool, which
// connects as the tenant login role (TENANT_DATABASE_URL; see
// database.CheckTenantRole), and are scoped with key, the tenant context key
// the database holds. acquireTimeout bounds the wait for a connection (0:
// database.DefaultAcquireTimeout).
func NewManager(pool *pgxpool.Pool, members Members, key database.ContextKey, acquireTimeout time.Duration) *Manager {
	if acquireTimeout <= 0 {
		acquireTimeout = database.DefaultAcquireTimeout
	}
	return &Manager{pool: pool, members: members, key: key, acquireTimeout: acquireTimeout}
}

// beginSQL opens every tenant transaction.
const beginSQL = "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"

// setTenantSQL scopes the transaction (or, outside one, the pipeline's
// implicit transaction) to a tenant: its id and the id's signature for this
// connection's backend pid, both transaction-local.
const setTenantSQL = "SELECT set_config('app.tenant_id', $1, true), set_config('app.tenant_sig', $2, true)"

// queueSetTenant queues setTenantSQL for tenantID on the connection whose
// backend pid is pid.
func (m *Manager) queueSetTenant(b *pgx.Batch, tenantID uuid.UUID, pid uint32) {
	b.Queue(setTenantSQL, tenantID.String(), m.key.Sign(tenantID, pid))
}

// Run calls fn with a context whose DB is a transaction scoped to tenantID,
// on behalf of userID, and commits when fn returns nil.
//
// The transaction opens with fn's first statement: BEGIN, the tenant
// setting, the membership check (Members) and that statement go to
// Postgres as one pipeline, one round trip, and a failed check stops the
// statement from running. A user who is not an enabled member of the
// tenant gets ErrTenantNotFound, like a tenant that does not exist,
// whatever fn made of the error its statement returned; so does one whose
// fn ran no statement at all (Run then checks on its own). Role forces the
// check early where fn needs the role before its first statement.
func (m *Manager) Run(ctx context.Context, tenantID, userID uuid.UUID, fn func(ctx context.Context) error) error {
	return m.run(ctx, &scoped{m: m, scope: Scope{TenantID: tenantID, UserID: userID}}, fn)
}

// run is Run and RunAsAdmin: s is the transaction to run fn in, not
// connected yet.
func (m *Manager) run(ctx context.Context, s *scoped, fn func(ctx context.Context) error) (err error) {
	if s.scope.TenantID == uuid.Nil {
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

	s.conn = conn
	defer s.rollback(ctx)
	returned := false // false after a panic in fn, which rolls back
	if m.observe != nil {
		start := time.Now()
		defer func() {
			outcome := TxRollback
			if returned {
				outcome = s.outcome(err)
			}
			m.observe(time.Since(start), outcome)
		}()
	}
	err = fn(context.WithValue(ctx, scopeKey{}, s))
	returned = true
	switch {
	case s.err != nil:
		err = s.err // the membership check failed (or the transaction could not open)
	case err != nil:
	case s.state == idle && s.admin != nil:
		// A platform admin's access is recorded even when fn sent
		// nothing: the transaction opens to commit the event.
		if err = s.ensureOpen(ctx); err == nil {
			err = s.commit(ctx)
		}
	case s.state == idle:
		err = s.check(ctx)
	default:
		err = s.commit(ctx)
	}
	return err
}

// How a tenant transaction ended, for ObserveTransactions.
const (
	TxCommit   = "commit"   // committed (or, with no statement, the membership check passed)
	TxRollback = "rollback" // fn failed or panicked, or the membership check refused: rolled back
	TxError    = "error"    // the database failed: BEGIN, the membership check or COMMIT
)

// ObserveTransactions makes Run report each transaction's duration, from
// its connection to its end, and its outcome (TxCommit, TxRollback,
// TxError) to fn. Call it before the first Run.
func (m *Manager) ObserveTransactions(fn func(d time.Duration, outcome string)) { m.observe = fn }

// CheckContext verifies that the database accepts the manager's tenant
// context key: a scope set with it must be the one app.current_tenant_id()
// returns. serve calls it at start-up, so a key that differs from the one
// `migrate up` stored fails there, not as empty results on every request.
func (m *Manager) CheckContext(ctx context.Context) error {
	conn, err := m.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("check the tenant context: %w", err)
	}
	defer conn.Release()
	probe := uuid.New()
	var b pgx.Batch
	m.queueSetTenant(&b, probe, conn.Conn().PgConn().PID())
	b.Queue("SELECT app.current_tenant_id()")
	br := conn.SendBatch(ctx, &b)
	defer br.Close()
	var got uuid.NullUUID
	_, err = br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(&got)
	}
	if err != nil {
		return fmt.Errorf("check the tenant context: %w", err)
	}
	if !got.Valid || got.UUID != probe {
		return errors.New("TENANT_CONTEXT_KEY: the database does not verify this key (it holds another one, or none); " +
			"run `server migrate up` with the TENANT_CONTEXT_KEY that serve uses")
	}
	return nil
}
