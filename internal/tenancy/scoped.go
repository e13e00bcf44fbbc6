package tenancy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/identity"
)

// state is where a tenant transaction is.
type state int

const (
	idle   state = iota // nothing sent yet
	open                // BEGIN sent: it ends with COMMIT or ROLLBACK
	failed              // the membership check (or BEGIN) failed: err says how
)

// scoped is one Run's tenant transaction, the DBTX that DB(ctx) returns.
// It opens lazily, with its first statement (see Manager.Run).
type scoped struct {
	m     *Manager
	conn  *pgxpool.Conn
	scope Scope
	role  identity.Role
	state state
	err   error
	// dbFailed: BEGIN, the membership check or COMMIT failed (not refused).
	dbFailed bool
	// audit: the events Audit recorded, inserted in COMMIT's round trip.
	audit []auditEvent
	// admin: RunAsAdmin's opt-in (nil for Run): the membership check
	// also admits a platform admin, whose access is recorded.
	admin *adminAccess
}

var _ DBTX = (*scoped)(nil)

// prelude is the start of the pipeline that opens the transaction: BEGIN,
// the tenant setting and the membership check.
func (s *scoped) prelude() *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(beginSQL)
	s.m.queueSetTenant(b, s.scope.TenantID, s.conn.Conn().PgConn().PID())
	q, args := s.accessQuery()
	b.Queue(q, args...)
	return b
}

// apiKeyRoleSQL is an API key's membership check: its role in the
// transaction's tenant, or an error (TK404) when the key is gone or
// expired, which stops the pipeline behind it.
const apiKeyRoleSQL = "SELECT app.api_key_role($1)" //nolint:gosec // a query, not a credential

// accessQuery is the check that admits the transaction's caller: identity's
// membership check, the admin opt-in's, or an API key's.
func (s *scoped) accessQuery() (string, []any) {
	switch {
	case s.scope.APIKeyID != uuid.Nil:
		return apiKeyRoleSQL, []any{s.scope.APIKeyID}
	case s.admin != nil:
		return s.m.members.AdminQuery(s.scope.UserID)
	}
	return s.m.members.CurrentRoleQuery(s.scope.UserID)
}

// scanRole reads the prelude's membership check. For RunAsAdmin, a
// platform admin's access to a tenant they are not a member of queues its
// audit event, written with COMMIT like every other.
func (s *scoped) scanRole(ctx context.Context, row pgx.Row) (identity.Role, error) {
	if s.scope.APIKeyID != uuid.Nil {
		return scanKeyRole(row)
	}
	if s.admin == nil {
		return s.m.members.ScanCurrentRole(ctx, s.scope.UserID, row)
	}
	role, adminAccess, err := s.m.members.ScanAdminRole(ctx, s.scope.UserID, row)
	if err == nil && adminAccess {
		s.audit = append(s.audit, s.admin.event)
		s.scope.AdminAccess = true
	}
	return role, err
}

// openWith sends the prelude and, unless sql is "", the statement sql in
// one pipeline, and returns the results positioned at that statement (the
// caller closes them). After a failure the transaction is failed for good.
func (s *scoped) openWith(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	b := s.prelude()
	if sql != "" {
		b.Queue(sql, args...)
	}
	br := s.conn.SendBatch(ctx, b)
	s.state = open // from here on the connection may be in a transaction
	var err error
	if _, err = br.Exec(); err != nil {
		err = fmt.Errorf("begin tenant transaction: %w", err)
	} else if _, err = br.Exec(); err != nil {
		err = fmt.Errorf("set the tenant: %w", err)
	} else if s.role, err = s.scanRole(ctx, br.QueryRow()); errors.Is(err, identity.ErrNotMember) {
		err = ErrTenantNotFound
	}
	if err != nil {
		_ = br.Close() // the rest of the pipeline was skipped
		s.err, s.state, s.dbFailed = err, failed, !refused(err)
		return nil, err
	}
	return br, nil
}

// Exec implements DBTX.
func (s *scoped) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	switch s.state {
	case failed:
		return pgconn.CommandTag{}, s.err
	case open:
		return s.conn.Exec(ctx, sql, args...)
	}
	br, err := s.openWith(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	return tag, firstErr(err, br.Close())
}

// Query implements DBTX.
func (s *scoped) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	switch s.state {
	case failed:
		return nil, s.err
	case open:
		return s.conn.Query(ctx, sql, args...) //nolint:rowserrcheck // the caller reads the rows and checks Err
	}
	br, err := s.openWith(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query() //nolint:rowserrcheck // wrapped and returned; the caller checks Err
	if err != nil {
		return nil, firstErr(err, br.Close())
	}
	return &pipelineRows{Rows: rows, br: br}, nil
}

// QueryRow implements DBTX.
func (s *scoped) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if s.state == open {
		return s.conn.QueryRow(ctx, sql, args...)
	}
	rows, err := s.Query(ctx, sql, args...) //nolint:rowserrcheck // firstRow.Scan checks Err
	return firstRow{rows: rows, err: err}
}

// ensureOpen opens the transaction without a statement of the caller's:
// one round trip, for Role.
func (s *scoped) ensureOpen(ctx context.Context) error {
	switch s.state {
	case failed:
		return s.err
	case open:
		return nil
	}
	br, err := s.openWith(ctx, "", nil)
	if err != nil {
		return err
	}
	return br.Close()
}

// check runs the membership check for a Run whose function sent no
// statement, so it answers non-members like every other Run. No
// transaction: the setting and the check share the pipeline's implicit one.
func (s *scoped) check(ctx context.Context) error {
	b := &pgx.Batch{}
	s.m.queueSetTenant(b, s.scope.TenantID, s.conn.Conn().PgConn().PID())
	q, args := s.accessQuery()
	b.Queue(q, args...)
	br := s.conn.SendBatch(ctx, b)
	_, err := br.Exec()
	if err == nil {
		_, err = s.scanRole(ctx, br.QueryRow())
	}
	if closeErr := br.Close(); err == nil {
		err = closeErr
	}
	if errors.Is(err, identity.ErrNotMember) {
		return ErrTenantNotFound
	}
	s.dbFailed = err != nil && !refused(err)
	return err
}

// commit ends an open transaction. A transaction that a failed statement
// aborted (its error ignored) answers COMMIT with ROLLBACK: an error here.
// The audit events the request recorded go first, in COMMIT's pipeline:
// one that fails skips the COMMIT, and the transaction rolls back.
func (s *scoped) commit(ctx context.Context) error {
	var (
		tag pgconn.CommandTag
		err error
	)
	if len(s.audit) == 0 {
		tag, err = s.conn.Exec(ctx, "COMMIT")
	} else {
		b := &pgx.Batch{}
		s.queueAudit(b)
		b.Queue("COMMIT")
		br := s.conn.SendBatch(ctx, b)
		for range s.audit {
			if _, err = br.Exec(); err != nil {
				err = fmt.Errorf("record audit event: %w", err)
				break
			}
		}
		if err == nil {
			tag, err = br.Exec()
		}
		err = firstErr(err, br.Close())
	}
	if err != nil {
		s.dbFailed = true
		return fmt.Errorf("commit tenant transaction: %w", err)
	}
	s.state = idle
	if tag.String() == "ROLLBACK" {
		return fmt.Errorf("commit tenant transaction: %w", pgx.ErrTxCommitRollback)
	}
	return nil
}

// rollback ends a transaction that Run did not commit, even when ctx is
// done, so the connection goes back to the pool clean.
func (s *scoped) rollback(ctx context.Context) {
	if s.state == idle {
		return
	}
	if s.conn.Conn().PgConn().TxStatus() == 'I' {
		return // never began (BEGIN failed) or already ended
	}
	rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, _ = s.conn.Exec(rbCtx, "ROLLBACK")
}

// outcome is how the transaction that Run ends with err ended.
func (s *scoped) outcome(err error) string {
	switch {
	case err == nil:
		return TxCommit
	case s.dbFailed:
		return TxError
	}
	return TxRollback
}

// refused reports whether err is the membership check's refusal (not a
// failure of the database).
func refused(err error) bool {
	return errors.Is(err, ErrTenantNotFound) || errors.Is(err, identity.ErrUserNotFound)
}

// firstErr is err, or else closeErr: closing a pipeline after a failed
// statement reports that statement's error again.
func firstErr(err, closeErr error) error {
	if err != nil {
		return err
	}
	return closeErr
}

// pipelineRows are the rows of the statement that opened a transaction:
// closing them also reads the end of its pipeline.
type pipelineRows struct {
	pgx.Rows
	br       pgx.BatchResults
	closed   bool
	closeErr error
}

func (r *pipelineRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.closeErr = r.br.Close()
}

func (r *pipelineRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.closeErr
}

// firstRow is pgx.Row over rows: the first row, or pgx.ErrNoRows.
type firstRow struct {
	rows pgx.Rows
	err  error
}

func (r firstRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
