package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
)

// Role is a user's role in a tenant. What each role may do is tenancy's
// permission table (tenancy.Allows).
type Role string

// The roles a membership can have, from the most to the least rights.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
	RoleViewer Role = "viewer"
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleAdmin, RoleMember, RoleViewer:
		return true
	}
	return false
}

// User is a person who can sign in.
type User struct {
	ID        uuid.UUID
	Email     string // as the user typed it (trimmed); compare case-insensitively
	Name      string
	CreatedAt time.Time
	Disabled  bool
	// EmailVerified: the user has proven they read mail at Email (a
	// verification or reset link, or the confirmation of a change).
	EmailVerified bool
}

// Tenant is an organisation whose data is kept apart from every other's.
type Tenant struct {
	ID        uuid.UUID
	Slug      string
	Name      string
	CreatedAt time.Time
}

// TenantRole is a tenant together with one user's role in it.
type TenantRole struct {
	Tenant
	Role Role
}

// Member is one user's membership, as seen from inside the tenant.
type Member struct {
	UserID uuid.UUID
	Email  string
	Name   string
	Role   Role
}

// DBTX is what Members runs on: the caller's tenant-scoped
// transaction (a pgx.Tx). It has the methods of the generated queries' DBTX.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

var (
	_ DBTX            = pgx.Tx(nil)
	_ DBTX            = (*pgxpool.Pool)(nil)
	_ identitydb.DBTX = DBTX(nil)
)

// Config tunes the password policy and hashing. The zero value is the
// recommended production setting.
type Config struct {
	// MinPasswordLength is the minimum length in characters (runes, after
	// NFKC normalization). Default and floor 8 (ASVS 5.0 V6.2.1; NIST SP
	// 800-63B-4 requires 15 where the password is the only factor).
	MinPasswordLength int
	// MaxPasswordBytes is the longest password accepted, in bytes, checked
	// before hashing. Default 256; at least 256 so any 64-character password
	// fits; at most 4096.
	MaxPasswordBytes int
	// MaxConcurrentHashes bounds argon2id runs in flight; more wait their
	// turn, up to MaxHashWait. Default max(1, GOMAXPROCS/2): with one lane a
	// hash is one CPU-bound goroutine, so a login storm keeps at most half
	// the CPUs busy hashing and the rest serve everything else.
	MaxConcurrentHashes int
	// MaxHashWait bounds how long SignUp and Authenticate wait for a hashing
	// slot; past it they return ErrBusy (or the context's error, if it ends
	// first). Default 2s; must not be negative.
	MaxHashWait time.Duration
	// Argon2 is the cost of new hashes; zero fields take OWASP's
	// recommendation (m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte tag).
	// Lower it only in tests. Existing hashes are upgraded on the next
	// successful login after it changes.
	Argon2 Argon2Params
	// Logger receives problems that do not fail the call (a failed rehash
	// on login). Nil discards them.
	Logger *slog.Logger
	// OnDisable, if set, is called by DisableUser with the user's id after
	// the disable has committed, also when the user was disabled already,
	// and by User whenever it finds the user disabled (however that came
	// about). cmd wires session.Manager.RevokeAll here, so disabling a user
	// ends their sessions wherever DisableUser is called from, and a
	// session of a disabled user is deleted when a request looks them up.
	// It must be idempotent: DisableUser is retried when it fails. Nil runs
	// nothing, and the caller must revoke the user's sessions itself.
	OnDisable func(ctx context.Context, userID uuid.UUID) error
	// Outbox queues the mail that follows a change (verification, reset
	// and change links, notices) in the change's transaction. Nil: SignUp
	// mails nothing, and every method that exists to mail fails.
	Outbox Outbox
	// AllowUnverifiedEmail lets a user whose address is not verified
	// create tenants; by default (false) CreateTenant refuses them with
	// ErrEmailUnverified.
	AllowUnverifiedEmail bool
	// CallerCacheTTL is how long Caller may answer from memory what it
	// read (see WatchChanges: the cache answers only while that listens
	// for changes, which forget what they change; the lifetime bounds
	// what no notification reports). Default 1 minute; negative: no
	// cache, every Caller reads the database.
	CallerCacheTTL time.Duration
	// CallerCacheSize bounds the answers kept, one per user and tenant
	// asked about. Default 50,000 (some tens of MB at most).
	CallerCacheSize int
}

// defaultMaxHashWait is Config.MaxHashWait's default: long enough to ride
// out a burst, short enough that a client is told to retry before it gives
// up on its own.
const defaultMaxHashWait = 2 * time.Second

// The caller cache's defaults (Config.CallerCacheTTL, CallerCacheSize).
const (
	defaultCallerCacheTTL  = time.Minute
	defaultCallerCacheSize = 50_000
)

// defaultMaxConcurrentHashes is Config.MaxConcurrentHashes' default for
// procs CPUs: half of them, at least one.
func defaultMaxConcurrentHashes(procs int) int {
	return max(1, procs/2)
}

func (c Config) withDefaults() (Config, error) {
	if c.MinPasswordLength == 0 {
		c.MinPasswordLength = DefaultMinPasswordLength
	}
	if c.MaxPasswordBytes == 0 {
		c.MaxPasswordBytes = defaultMaxPasswordBytes
	}
	if c.MaxConcurrentHashes == 0 {
		c.MaxConcurrentHashes = defaultMaxConcurrentHashes(runtime.GOMAXPROCS(0))
	}
	if c.MaxHashWait == 0 {
		c.MaxHashWait = defaultMaxHashWait
	}
	c.Argon2 = c.Argon2.withDefaults()
	if c.CallerCacheTTL == 0 {
		c.CallerCacheTTL = defaultCallerCacheTTL
	}
	if c.CallerCacheSize == 0 {
		c.CallerCacheSize = defaultCallerCacheSize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.MinPasswordLength < DefaultMinPasswordLength || c.MinPasswordLength > MaxMinPasswordLength:
		return c, fmt.Errorf("identity: MinPasswordLength %d: want %d..%d",
			c.MinPasswordLength, DefaultMinPasswordLength, MaxMinPasswordLength)
	case c.MaxPasswordBytes < minMaxPasswordBytes || c.MaxPasswordBytes > maxMaxPasswordBytes:
		return c, fmt.Errorf("identity: MaxPasswordBytes %d: want %d..%d",
			c.MaxPasswordBytes, minMaxPasswordBytes, maxMaxPasswordBytes)
	case c.MaxConcurrentHashes < 1:
		return c, fmt.Errorf("identity: MaxConcurrentHashes %d: want at least 1", c.MaxConcurrentHashes)
	case c.CallerCacheSize < 1:
		return c, fmt.Errorf("identity: CallerCacheSize %d: want at least 1", c.CallerCacheSize)
	case c.MaxHashWait < 0:
		return c, fmt.Errorf("identity: MaxHashWait %v: want a positive duration", c.MaxHashWait)
	}
	if err := c.Argon2.validate(); err != nil {
		return c, fmt.Errorf("identity: %w", err)
	}
	return c, nil
}

// Service is the identity API. It is safe for concurrent use.
type Service struct {
	pool   *pgxpool.Pool
	cfg    Config
	policy passwordPolicy
	hasher *hasher
	// eventWrites holds a slot per failed-login event being written.
	eventWrites chan struct{}
	// cache is Caller's (nil when Config.CallerCacheTTL < 0).
	cache *callerCache
	// watchIdle is how long WatchChanges waits for a notification before
	// it checks its connection (watchIdle; tests shorten it).
	watchIdle time.Duration
}

// New returns a Service on pool, which must connect as the runtime role.
// It fails on a nil pool or a Config outside the documented bounds.
func New(pool *pgxpool.Pool, cfg Config) (*Service, error) {
	if pool == nil {
		return nil, errors.New("identity: nil pool")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var cache *callerCache
	if cfg.CallerCacheTTL > 0 {
		cache = newCallerCache(cfg.CallerCacheTTL, cfg.CallerCacheSize)
	}
	return &Service{
		cache:     cache,
		watchIdle: watchIdle,
		pool:      pool,
		cfg:       cfg,
		policy:    passwordPolicy{minRunes: cfg.MinPasswordLength, maxBytes: cfg.MaxPasswordBytes},
		hasher:    newHasher(cfg.Argon2, cfg.MaxConcurrentHashes, cfg.MaxHashWait),

		eventWrites: make(chan struct{}, maxFailedLoginWrites),
	}, nil
}

// inTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise (also on panic).
func (s *Service) inTx(ctx context.Context, opts pgx.TxOptions, fn func(q *identitydb.Queries) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		return fn(identitydb.New(tx))
	})
}
