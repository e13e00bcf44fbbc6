package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/problem"
	"github.com/tenantkit/tenantkit/internal/session/internal/sessiondb"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// API keys: machine access to one tenant, with a role.
//
// A key is
//
//	tk_<key id: 32 hex digits>_<secret: 43 base64url characters>
//
// (79 characters; secret scanners can match `tk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}`).
// The id is the key's row (not secret: GET /api/api-keys lists it); only
// the SHA-256 of the 32-byte secret is stored, and compared in constant
// time. Keys live in Postgres whatever the session store is: they are
// long-lived credentials an admin lists and revokes. Request auth reads a
// key once per request (APIKeys.Lookup); a tenant transaction lists its
// own tenant's under RLS (List) and authorises creating and revoking them,
// which happen on the runtime pool (Create, Revoke): the tenant role can
// neither read a hash nor write a key.

// APIKeyPrefix starts every API key.
const APIKeyPrefix = "tk_"

// Bounds of API keys.
const (
	maxAPIKeyName = 100
	maxAPIKeys    = 500
	// apiKeyTouchEvery: last_used_at is written at most this often per key.
	apiKeyTouchEvery = time.Minute
	// maxAPIKeyTouches bounds the last-use writes in flight; beyond it a
	// write is skipped (the next request a minute on writes it).
	maxAPIKeyTouches = 4
)

var apiKeyLen = len(APIKeyPrefix) + 32 + 1 + base64.RawURLEncoding.EncodedLen(32)

// ErrAPIKeyNotFound: the tenant has no API key with this id.
var ErrAPIKeyNotFound = problem.New(http.StatusNotFound, "api_key_not_found", "No such API key.")

// APIKey is a key as its tenant's admins see it (never its secret).
type APIKey struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Name     string
	// Role is admin, member or viewer.
	Role string
	// CreatedBy is uuid.Nil once the creator is deleted.
	CreatedBy  uuid.UUID
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
}

// APIKeyGrant is what a valid key grants a request.
type APIKeyGrant struct {
	KeyID    uuid.UUID
	TenantID uuid.UUID
	// CreatedBy is the user who created the key (uuid.Nil once deleted):
	// the rows the key creates name them, as they would a member.
	CreatedBy uuid.UUID
}

// DBTX is what List runs on: the request's tenant transaction
// (tenancy.DB).
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// APIKeys looks keys up for request auth and manages a tenant's keys.
type APIKeys struct {
	pool    *pgxpool.Pool
	log     *slog.Logger
	touches chan struct{}
	now     func() time.Time
}

// NewAPIKeys returns the API keys kept in pool's database (the runtime
// role's pool).
func NewAPIKeys(pool *pgxpool.Pool, log *slog.Logger) *APIKeys {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &APIKeys{pool: pool, log: log, touches: make(chan struct{}, maxAPIKeyTouches), now: time.Now}
}

// IsAPIKey reports whether token is shaped like an API key (as opposed to
// a bearer access token): request auth asks before it looks one up.
func IsAPIKey(token string) bool {
	return len(token) == apiKeyLen && token[:len(APIKeyPrefix)] == APIKeyPrefix
}

// parseAPIKey returns a key's id and the SHA-256 of its secret.
func parseAPIKey(token string) (uuid.UUID, [32]byte, bool) {
	if !IsAPIKey(token) {
		return uuid.Nil, [32]byte{}, false
	}
	rest := token[len(APIKeyPrefix):]
	idHex, sep, secret := rest[:32], rest[32], rest[33:]
	raw, err := hex.DecodeString(idHex)
	if sep != '_' || err != nil || len(raw) != 16 {
		return uuid.Nil, [32]byte{}, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(secret)
	if err != nil || len(b) != 32 {
		return uuid.Nil, [32]byte{}, false
	}
	return uuid.UUID(raw), sha256.Sum256(b), true
}

// Lookup returns what the API key token grants, in one read, or
// ErrInvalidToken for a malformed, unknown (revoked) or expired key. It
// stamps the key's last use, at most once a minute, after it answers:
// never on the request's path.
func (k *APIKeys) Lookup(ctx context.Context, token string) (APIKeyGrant, error) {
	id, sum, ok := parseAPIKey(token)
	if !ok {
		return APIKeyGrant{}, ErrInvalidToken
	}
	row, err := sessiondb.New(k.pool).LookupAPIKey(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return APIKeyGrant{}, ErrInvalidToken
	}
	if err != nil {
		return APIKeyGrant{}, fmt.Errorf("look up API key: %w: %w", ErrUnavailable, err)
	}
	now := k.now()
	if subtle.ConstantTimeCompare(sum[:], row.SecretHash) != 1 || (row.ExpiresAt != nil && !now.Before(*row.ExpiresAt)) {
		return APIKeyGrant{}, ErrInvalidToken
	}
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= apiKeyTouchEvery {
		k.touch(ctx, row.TenantID, id)
	}
	return APIKeyGrant{KeyID: id, TenantID: row.TenantID, CreatedBy: row.CreatedBy.UUID}, nil
}

// touch writes the key's last use in the background, unless
// maxAPIKeyTouches writes are in flight already.
func (k *APIKeys) touch(ctx context.Context, tenantID, id uuid.UUID) {
	select {
	case k.touches <- struct{}{}:
	default:
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	go func() {
		defer func() { <-k.touches }()
		defer cancel()
		if err := sessiondb.New(k.pool).TouchAPIKey(ctx, sessiondb.TouchAPIKeyParams{TenantID: tenantID, ID: id}); err != nil {
			k.log.WarnContext(ctx, "stamp the API key's last use", "api_key_id", id, "error", err.Error())
		}
	}()
}

// KeyChange is who creates or revokes an API key, for its audit event: a
// member of TenantID whose tenant transaction has authorised the change.
type KeyChange struct {
	TenantID  uuid.UUID
	UserID    uuid.UUID
	RequestID string
	IP        string
}

// MaxAPIKeysPerTenant bounds a tenant's keys, so that its admins always
// see every one of them in one listing.
const MaxAPIKeysPerTenant = 100

// ErrTooManyAPIKeys: the tenant has MaxAPIKeysPerTenant keys already.
var ErrTooManyAPIKeys = problem.New(http.StatusConflict, "too_many_api_keys",
	"This tenant has as many API keys as it may have: revoke one first.")

// Create makes an API key of c.TenantID named name with role (admin,
// member or viewer), created by c.UserID, expiring at expiresAt (nil:
// never), and records api_key.created, in one transaction on the runtime
// pool: the tenant role may not write keys (see the migration). Whether
// c.UserID may create it is the caller's to have checked, in the tenant's
// transaction. It returns the key and the token, which is shown once and
// stored nowhere; validation.Errors for a bad name, role or expiry,
// ErrTooManyAPIKeys.
func (k *APIKeys) Create(ctx context.Context, c KeyChange, name, role string, expiresAt *time.Time) (APIKey, string, error) {
	var problems validation.Errors
	name, problem := validation.CleanText(name, maxAPIKeyName)
	if problem != "" {
		problems.Add("name", problem)
	} else if name == "" {
		problems.Add("name", "is required")
	}
	switch role {
	case "admin", "member", "viewer":
	default:
		problems.Add("role", "must be admin, member or viewer")
	}
	if expiresAt != nil && !expiresAt.After(k.now()) {
		problems.Add("expires_at", "must be in the future")
	}
	if err := problems.Err(); err != nil {
		return APIKey{}, "", err
	}
	id := uuid.New()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // never fails (crypto/rand)
	sum := sha256.Sum256(secret)
	key := APIKey{ID: id, TenantID: c.TenantID, Name: name, Role: role, CreatedBy: c.UserID, ExpiresAt: expiresAt}
	err := pgx.BeginTxFunc(ctx, k.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		q := sessiondb.New(tx)
		if err := q.LockTenantAPIKeys(ctx, c.TenantID); err != nil {
			return err
		}
		n, err := q.CountAPIKeys(ctx, c.TenantID)
		if err != nil {
			return err
		}
		if n >= MaxAPIKeysPerTenant {
			return ErrTooManyAPIKeys
		}
		key.CreatedAt, err = q.CreateAPIKey(ctx, sessiondb.CreateAPIKeyParams{
			TenantID: c.TenantID, ID: id, Name: name, Role: role, SecretHash: sum[:],
			CreatedBy: uuid.NullUUID{UUID: c.UserID, Valid: c.UserID != uuid.Nil}, ExpiresAt: expiresAt,
		})
		if err != nil {
			return err
		}
		return recordKeyEvent(ctx, q, c, "api_key.created", id, map[string]any{"name": name, "role": role, "expires_at": expiresAt})
	})
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create API key: %w", err)
	}
	token := APIKeyPrefix + hex.EncodeToString(id[:]) + "_" + base64.RawURLEncoding.EncodeToString(secret)
	return key, token, nil
}

// Revoke deletes c.TenantID's key id and records api_key.revoked, in one
// transaction on the runtime pool, once the tenant's transaction has
// authorised it: the key's next request is 401. ErrAPIKeyNotFound when
// the tenant has no such key.
func (k *APIKeys) Revoke(ctx context.Context, c KeyChange, id uuid.UUID) error {
	err := pgx.BeginTxFunc(ctx, k.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		q := sessiondb.New(tx)
		row, err := q.DeleteAPIKey(ctx, sessiondb.DeleteAPIKeyParams{TenantID: c.TenantID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrAPIKeyNotFound
		}
		if err != nil {
			return err
		}
		return recordKeyEvent(ctx, q, c, "api_key.revoked", id, map[string]any{"name": row.Name, "role": row.Role})
	})
	if err != nil {
		return fmt.Errorf("revoke API key %s: %w", id, err)
	}
	return nil
}

// recordKeyEvent writes a key's event into its tenant's audit log, in the
// transaction of the change.
func recordKeyEvent(ctx context.Context, q *sessiondb.Queries, c KeyChange, action string, id uuid.UUID, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	return q.RecordAPIKeyEvent(ctx, sessiondb.RecordAPIKeyEventParams{
		TenantID: c.TenantID, Actor: uuid.NullUUID{UUID: c.UserID, Valid: c.UserID != uuid.Nil},
		Action: action, Target: id.String(), Detail: b,
		RequestID: validation.Truncate(c.RequestID, 200), Ip: validation.Truncate(c.IP, 64),
	})
}

// List returns tenantID's keys, newest first, from db, the tenant's
// transaction.
func (k *APIKeys) List(ctx context.Context, db DBTX, tenantID uuid.UUID) ([]APIKey, error) {
	rows, err := sessiondb.New(db).ListAPIKeys(ctx, sessiondb.ListAPIKeysParams{TenantID: tenantID, MaxRows: maxAPIKeys})
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	out := make([]APIKey, len(rows))
	for i, r := range rows {
		out[i] = APIKey{
			ID: r.ID, TenantID: tenantID, Name: r.Name, Role: r.Role, CreatedBy: r.CreatedBy.UUID,
			CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, ExpiresAt: r.ExpiresAt,
		}
	}
	return out, nil
}
