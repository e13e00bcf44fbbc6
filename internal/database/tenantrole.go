package database

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Tenant transactions run on a login role of their own (TENANT_DATABASE_URL):
// a member of the deployment's tenant role (Roles.Tenant), inheriting its
// rights, and of nothing else. So SQL that runs inside a tenant transaction,
// even injected SQL, can reach tenant tables under RLS and nothing more:
// RESET ROLE gets it back to a role with the same rights, never to the
// runtime role's identity and session tables.

// ContextKey signs the tenant a transaction is scoped to (see
// app.current_tenant_id() in db/migrations/00001_platform.sql). The server
// has it from TENANT_CONTEXT_KEY; `migrate up` stores it where only the
// owner can read it.
type ContextKey []byte

// MinContextKeyBytes is the shortest tenant context key accepted.
const MinContextKeyBytes = 32

// ParseContextKey decodes TENANT_CONTEXT_KEY: at least 32 bytes, written as
// hex (64+ digits, `openssl rand -hex 32`) or base64.
func ParseContextKey(s string) (ContextKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("required: 32 random bytes as hex, e.g. the output of `openssl rand -hex 32`")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		if b, err = base64.StdEncoding.DecodeString(s); err != nil {
			if b, err = base64.RawURLEncoding.DecodeString(s); err != nil {
				return nil, errors.New("want hex or base64, e.g. the output of `openssl rand -hex 32`")
			}
		}
	}
	if len(b) < MinContextKeyBytes {
		return nil, fmt.Errorf("too short: %d bytes, want at least %d (`openssl rand -hex 32`)", len(b), MinContextKeyBytes)
	}
	return ContextKey(b), nil
}

// Sign returns app.tenant_sig for tenantID on the connection whose backend
// pid is pid: hex(HMAC-SHA256(key, "<tenant id>:<pid>")), what
// app.current_tenant_id() recomputes.
func (k ContextKey) Sign(tenantID uuid.UUID, pid uint32) string {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(tenantID.String() + ":" + strconv.FormatUint(uint64(pid), 10)))
	return hex.EncodeToString(m.Sum(nil))
}

// StoreContextKey writes key where app.current_tenant_id() reads it. It runs
// as the owner; `migrate up` calls it.
func StoreContextKey(ctx context.Context, owner *pgxpool.Pool, key ContextKey) error {
	_, err := owner.Exec(ctx, `
INSERT INTO app_private.tenant_context_key (id, key) VALUES (true, $1)
ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key WHERE tenant_context_key.key <> EXCLUDED.key`, []byte(key))
	if err != nil {
		return fmt.Errorf("store the tenant context key: %w", err)
	}
	return nil
}

// EnsureTenantRole creates the login role named by tenantURL's user if it is
// missing (or updates its password), makes it a member of roles.Tenant
// (with its rights) and lets it connect to the database. It refuses a role
// that is the owner, a superuser, has BYPASSRLS or is a member of roles.App.
// It runs as the owner, after the migrations, and is idempotent.
func EnsureTenantRole(ctx context.Context, owner *pgxpool.Pool, tenantURL string, roles Roles) (string, error) {
	cfg, err := pgx.ParseConfig(tenantURL)
	if err != nil {
		return "", errors.New("TENANT_DATABASE_URL: invalid connection string")
	}
	name, password := cfg.User, cfg.Password
	if name == "" {
		return "", errors.New("TENANT_DATABASE_URL: names no user")
	}
	if err := roles.notGroup("TENANT_DATABASE_URL", name); err != nil {
		return "", err
	}
	tx, err := owner.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("ensure tenant role: %w", err)
	}
	defer tx.Rollback(ctx)

	var exists, unsafe bool
	err = tx.QueryRow(ctx, `
SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1),
       $1 = current_user OR EXISTS (
           SELECT FROM pg_roles r WHERE r.rolname = $1
              AND (r.rolsuper OR r.rolbypassrls OR pg_has_role(r.oid, $2, 'MEMBER')))`,
		name, roles.App).Scan(&exists, &unsafe)
	if err != nil {
		return "", fmt.Errorf("ensure tenant role: %w", err)
	}
	if unsafe {
		return "", fmt.Errorf("%w: TENANT_DATABASE_URL user %q is the migration owner, a superuser, has BYPASSRLS or is a "+
			"member of %s; give tenant transactions a login role of their own (for example app_tenant)", ErrUnsafeRole, name, roles.App)
	}
	if err := ensureLogin(ctx, tx, name, password, exists); err != nil {
		return "", fmt.Errorf("ensure tenant role %q: %w", name, err)
	}
	var grants string
	if err := tx.QueryRow(ctx, `SELECT format('GRANT %I TO %I; GRANT CONNECT ON DATABASE %I TO %I',
	                                          $2::text, $1::text, current_database(), $1::text)`, name, roles.Tenant).Scan(&grants); err != nil {
		return "", fmt.Errorf("ensure tenant role: %w", err)
	}
	for s := range strings.SplitSeq(grants, "; ") {
		if _, err := tx.Exec(ctx, s); err != nil {
			return "", fmt.Errorf("ensure tenant role %q: %w", name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("ensure tenant role: %w", err)
	}
	return name, nil
}

// CheckTenantRole returns ErrUnsafeRole, with what to do about it, when the
// pool's role could reach more than tenant tables under RLS: a superuser,
// BYPASSRLS, an owner of tables, a member of roles.App or of any role but
// roles.Tenant; or when it lacks roles.Tenant's rights or the database was
// not migrated for roles.
func CheckTenantRole(ctx context.Context, pool *pgxpool.Pool, roles Roles) error {
	var (
		name                   string
		super, bypass, tenant  bool
		owns, memberOf, others []string
	)
	err := pool.QueryRow(ctx, `
SELECT r.rolname, r.rolsuper, r.rolbypassrls, pg_has_role(r.oid, $1, 'USAGE'),
       ARRAY(SELECT c.oid::regclass::text FROM pg_class c
             WHERE c.relkind IN ('r', 'p', 'v', 'm') AND pg_has_role(r.oid, c.relowner, 'MEMBER')
               AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
             ORDER BY 1),
       ARRAY(SELECT g.rolname FROM pg_roles g WHERE g.rolname = $2 AND pg_has_role(r.oid, g.oid, 'MEMBER')),
       ARRAY(SELECT g.rolname FROM pg_roles g
             WHERE g.oid <> r.oid AND g.rolname NOT IN ($1, $2) AND g.rolname NOT LIKE 'pg\_%'
               AND pg_has_role(r.oid, g.oid, 'MEMBER') ORDER BY 1)
FROM pg_roles r WHERE r.rolname = current_user`, roles.Tenant, roles.App).
		Scan(&name, &super, &bypass, &tenant, &owns, &memberOf, &others)
	if err != nil {
		return fmt.Errorf("inspect the tenant role: %w", err)
	}
	// A database migrated for another deployment first: it explains the
	// memberships the switch below would refuse.
	if err := checkMigratedFor(ctx, pool, roles.Tenant, "tenants"); err != nil {
		return err
	}
	fix := "point TENANT_DATABASE_URL at a login role of its own; `server migrate up` creates it"
	switch {
	case super || bypass:
		return fmt.Errorf("%w: TENANT_DATABASE_URL role %q is a superuser or has BYPASSRLS, which bypasses row-level security; %s", ErrUnsafeRole, name, fix)
	case len(owns) > 0:
		return fmt.Errorf("%w: TENANT_DATABASE_URL role %q owns (or may act as the owner of) %v, and owners bypass RLS; %s", ErrUnsafeRole, name, owns, fix)
	case len(memberOf) > 0:
		return fmt.Errorf("%w: TENANT_DATABASE_URL role %q is a member of %s, which reaches identity's and the session store's tables; %s", ErrUnsafeRole, name, roles.App, fix)
	case len(others) > 0:
		return fmt.Errorf("%w: TENANT_DATABASE_URL role %q is a member of %v; it must be a member of %s only (REVOKE those roles FROM %s)",
			ErrUnsafeRole, name, others, roles.Tenant, pgx.Identifier{name}.Sanitize())
	}
	if !tenant {
		return fmt.Errorf("%w: TENANT_DATABASE_URL role %q lacks the rights of %s; run `server migrate up` (it grants them)", ErrUnsafeRole, name, roles.Tenant)
	}
	// What SQL injected into a tenant transaction would reach for next:
	// the server's files and programs, other databases, large objects.
	if err := refuseServerRights(ctx, pool); err != nil {
		return fmt.Errorf("TENANT_DATABASE_URL: %w", err)
	}
	return refuseLargeObjects(ctx, pool, name, roles.Tenant)
}
