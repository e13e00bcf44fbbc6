package identity

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// cheapArgon2 keeps tests fast (argon2 under -race is slow); the defaults
// are tested on their own in TestConfigDefaults and TestHashDefaultParams.
var cheapArgon2 = Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1}

// kdfProbe wraps the KDF to count runs and the most running at once.
type kdfProbe struct {
	calls, inFlight, maxInFlight atomic.Int64
	delay                        time.Duration
}

func (p *kdfProbe) wrap(next kdfFunc) kdfFunc {
	return func(password, salt []byte, time_, memory uint32, threads uint8, keyLen uint32) []byte {
		p.calls.Add(1)
		n := p.inFlight.Add(1)
		defer p.inFlight.Add(-1)
		for m := p.maxInFlight.Load(); n > m && !p.maxInFlight.CompareAndSwap(m, n); m = p.maxInFlight.Load() {
		}
		if p.delay > 0 {
			time.Sleep(p.delay)
		}
		return next(password, salt, time_, memory, threads, keyLen)
	}
}

// newTestService returns a Service on the runtime-role pool with cheap
// hashing, and a probe on its KDF.
func newTestService(t *testing.T, cfg Config) (*Service, *kdfProbe) {
	t.Helper()
	d := dbtest.New(t)
	if cfg.Argon2 == (Argon2Params{}) {
		cfg.Argon2 = cheapArgon2
	}
	s, err := New(d.App, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	probe := &kdfProbe{}
	s.hasher.kdf = probe.wrap(s.hasher.kdf)
	return s, probe
}

func appPool(t *testing.T) *pgxpool.Pool { return dbtest.New(t).App }

// tenantPool is the tenant login role's pool, the one tenant transactions
// (and so CurrentRoleQuery and Members) run on.
func tenantPool(t *testing.T) *pgxpool.Pool { return dbtest.New(t).Tenant }

// uniqueEmail returns an address no other test uses.
func uniqueEmail() string { return "u" + strings.ToLower(rand.Text()[:12]) + "@example.com" }

// uniqueSlug returns a slug no other test uses.
func uniqueSlug() string { return "t-" + strings.ToLower(rand.Text()[:12]) }

const goodPassword = "correct horse battery staple"

// signUp creates a user with a verified address or fails the test.
func signUp(t *testing.T, s *Service) User {
	t.Helper()
	u, err := s.SignUp(t.Context(), uniqueEmail(), goodPassword, "Test User")
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	if err := s.MarkEmailVerified(t.Context(), u.ID); err != nil {
		t.Fatalf("MarkEmailVerified: %v", err)
	}
	u.EmailVerified = true
	return u
}

// createTenant creates a tenant owned by owner or fails the test.
func createTenant(t *testing.T, s *Service, owner uuid.UUID) Tenant {
	t.Helper()
	tn, err := s.CreateTenant(t.Context(), owner, "Tenant "+owner.String()[:8], uniqueSlug())
	if err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	return tn
}

// inTenant runs fn in a transaction on pool scoped to tenantID, the way the
// tenancy component does (the id and its signature), and rolls it back.
func inTenant(t *testing.T, pool *pgxpool.Pool, tenantID uuid.UUID, fn func(ctx context.Context, tx pgx.Tx)) {
	t.Helper()
	ctx := t.Context()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	sig := dbtest.New(t).Key.Sign(tenantID, tx.Conn().PgConn().PID())
	if _, err := tx.Exec(ctx, "SELECT set_config('app.tenant_id', $1::uuid::text, true), set_config('app.tenant_sig', $2, true)", tenantID, sig); err != nil {
		t.Fatal(err)
	}
	fn(ctx, tx)
}
