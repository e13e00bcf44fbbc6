package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
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
// key once per request (APIKeys.Lookup); a tenant transaction creates,
// lists and deletes its own tenant's under RLS.

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

// DBTX is what the tenant-scoped methods run on: the request's tenant
// transaction (tenancy.DB).
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

// Create makes an API key of tenantID named name with role (admin, member
// or viewer), created by createdBy, expiring at expiresAt (nil: never), in
// db, the tenant's transaction. It returns the key and the token, which
// is shown once and stored nowhere. Whether createdBy may give role is the
// caller's to check. validation.Errors for a bad name, role or expiry.
func (k *APIKeys) Create(ctx context.Context, db DBTX, tenantID, createdBy uuid.UUID, name, role string, expiresAt *time.Time) (APIKey, string, error) {
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
	created, err := sessiondb.New(db).CreateAPIKey(ctx, sessiondb.CreateAPIKeyParams{
		TenantID: tenantID, ID: id, Name: name, Role: role, SecretHash: sum[:],
		CreatedBy: uuid.NullUUID{UUID: createdBy, Valid: createdBy != uuid.Nil}, ExpiresAt: expiresAt,
	})
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create API key: %w", err)
	}
	token := APIKeyPrefix + hex.EncodeToString(id[:]) + "_" + base64.RawURLEncoding.EncodeToString(secret)
	return APIKey{
		ID: id, TenantID: tenantID, Name: name, Role: role, CreatedBy: createdBy, CreatedAt: created, ExpiresAt: expiresAt,
	}, token, nil
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

// Revoke deletes tenantID's key id in db, the tenant's transaction: the
// key's next request is 401. It returns the key's name and role, or
// ErrAPIKeyNotFound.
func (k *APIKeys) Revoke(ctx context.Context, db DBTX, tenantID, id uuid.UUID) (APIKey, error) {
	row, err := sessiondb.New(db).DeleteAPIKey(ctx, sessiondb.DeleteAPIKeyParams{TenantID: tenantID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return APIKey{}, ErrAPIKeyNotFound
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("revoke API key: %w", err)
	}
	return APIKey{ID: id, TenantID: tenantID, Name: row.Name, Role: row.Role}, nil
}
