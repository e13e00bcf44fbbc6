package apptest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/tenantkit/tenantkit/internal/session"
)

// DefaultRedisURL is used when TEST_REDIS_URL is not set.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// newRedisStore returns a Redis session store under a key prefix of its
// own, whose keys are deleted when the test ends. Tests never skip when
// Redis is unreachable: they fail. hook, if not nil, is added to its client.
func newRedisStore(t testing.TB, hook redis.Hook) *session.RedisStore {
	t.Helper()
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		url = DefaultRedisURL
	}
	client, err := session.NewRedisClient(url)
	if err != nil {
		t.Fatalf("apptest: TEST_REDIS_URL: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	if err := client.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("apptest: redis at %s: %v (is Redis running? set TEST_REDIS_URL)", url, err)
	}
	if hook != nil {
		client.AddHook(hook)
	}
	prefix := "tktest:" + uuid.NewString() + ":"
	t.Cleanup(func() { deleteKeys(client, prefix) })
	return session.NewRedisStore(client, prefix)
}

// deleteKeys removes every key under prefix. It runs in a cleanup, after
// the test's context has ended.
func deleteKeys(c redis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
}
