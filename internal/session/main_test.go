package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

func TestMain(m *testing.M) {
	code := dbtest.Main(m)
	stopRedisCluster()
	os.Exit(code)
}

// testRedisURL is TEST_REDIS_URL or the local Redis. Tests never skip when
// it is unreachable: they fail.
func testRedisURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// newRedisClient connects to the test Redis, failing the test when it is
// unreachable.
func newRedisClient(t testing.TB) redis.UniversalClient {
	t.Helper()
	c, err := NewRedisClient(testRedisURL())
	if err != nil {
		t.Fatalf("TEST_REDIS_URL: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at TEST_REDIS_URL is unreachable (is Redis running?): %v", err)
	}
	return c
}

// testPrefix returns a key prefix of the test's own, and deletes its keys
// when the test ends.
func testPrefix(t testing.TB, c redis.UniversalClient) string {
	prefix := "tktest:" + rand.Text()[:12] + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		for _, k := range scanKeys(t, ctx, c, prefix) {
			c.Del(ctx, k)
		}
	})
	return prefix
}

// scanKeys lists the keys under prefix, on every master of a Cluster.
func scanKeys(t testing.TB, ctx context.Context, c redis.UniversalClient, prefix string) []string {
	t.Helper()
	var (
		mu   sync.Mutex
		keys []string
	)
	scan := func(ctx context.Context, node *redis.Client) error {
		iter := node.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	switch c := c.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, c)
	default:
		t.Fatalf("scanKeys: unexpected client %T", c)
	}
	if err != nil {
		t.Fatalf("scan %s*: %v", prefix, err)
	}
	return keys
}

func newRedisStore(t testing.TB) (*RedisStore, redis.UniversalClient) {
	c := newRedisClient(t)
	return NewRedisStore(c, testPrefix(t, c)), c
}

func newRedisClusterStore(t testing.TB) (*RedisStore, redis.UniversalClient) {
	c := newRedisClusterClient(t)
	return NewRedisStore(c, testPrefix(t, c)), c
}

func newPostgresStore(t testing.TB) *PostgresStore {
	return NewPostgresStore(dbtest.New(t).App)
}

// newToken returns a token shaped like the ones scs issues.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// encode returns what scs would commit for s.
func encode(t testing.TB, s Session, deadline time.Time) []byte {
	t.Helper()
	values := map[string]any{}
	if s.UserID != uuid.Nil {
		values[recordKey] = s
	}
	b, err := codec{}.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
