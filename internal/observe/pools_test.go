package observe

import (
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

func TestPoolCollector(t *testing.T) {
	// Nothing connects: a pool opens connections on first use.
	pools := map[string]int{"app": 7, "tenant": 3}
	reg := prometheus.NewRegistry()
	for name, size := range pools {
		cfg, err := pgxpool.ParseConfig("postgres://nobody@127.0.0.1:1/none")
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxConns = int32(size)
		pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		if err := reg.Register(NewPoolCollector(name, pool.Stat)); err != nil {
			t.Fatal(err)
		}
	}
	wantLines(t, scrape(t, reg),
		`tenantkit_db_pool_max_conns{pool="app"} 7`,
		`tenantkit_db_pool_max_conns{pool="tenant"} 3`,
		`tenantkit_db_pool_total_conns{pool="app"} 0`,
		`tenantkit_db_pool_acquires_total{pool="tenant"} 0`,
		`# TYPE tenantkit_db_pool_acquires_total counter`,
		`# TYPE tenantkit_db_pool_idle_conns gauge`,
	)
}

func TestRedisPoolCollector(t *testing.T) {
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	if err := client.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis at %s: %v (is Redis running? set TEST_REDIS_URL)", url, err)
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(NewRedisPoolCollector(client)); err != nil {
		t.Fatal(err)
	}
	wantLines(t, scrape(t, reg),
		`tenantkit_redis_pool_total_conns 1`,
		`tenantkit_redis_pool_idle_conns 1`,
		`tenantkit_redis_pool_misses_total 1`, // the first command opened the connection
		`# TYPE tenantkit_redis_pool_hits_total counter`,
	)
}
