package observe

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// statMetric is one value a pool collector reads from a snapshot of its
// pool's statistics (S).
type statMetric[S any] struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(S) float64
}

// statCollector reports a pool's statistics, read once per scrape.
type statCollector[S any] struct {
	stat    func() S
	metrics []statMetric[S]
}

func (c *statCollector[S]) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
}

func (c *statCollector[S]) Collect(ch chan<- prometheus.Metric) {
	s := c.stat()
	for _, m := range c.metrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(s))
	}
}

// PoolStat is a snapshot of a pgx pool's statistics: *pgxpool.Stat. (The
// package takes it by its methods, so that it never holds a pool: only
// the components that own connections do.)
type PoolStat interface {
	MaxConns() int32
	TotalConns() int32
	IdleConns() int32
	AcquiredConns() int32
	ConstructingConns() int32
	AcquireCount() int64
	AcquireDuration() time.Duration
	EmptyAcquireCount() int64
	EmptyAcquireWaitTime() time.Duration
	CanceledAcquireCount() int64
	NewConnsCount() int64
	MaxLifetimeDestroyCount() int64
	MaxIdleDestroyCount() int64
}

// NewPoolCollector reports the statistics of a pgx pool, read with stat
// (the pool's Stat method) at each scrape, as
// tenantkit_db_pool_*{pool="<name>"}: serve has two, "app" (the runtime
// role) and "tenant" (tenant transactions). Register one per pool.
func NewPoolCollector[S PoolStat](name string, stat func() S) prometheus.Collector {
	labels := prometheus.Labels{"pool": name}
	metric := func(suffix, help string, kind prometheus.ValueType, value func(S) float64) statMetric[S] {
		return statMetric[S]{prometheus.NewDesc("tenantkit_db_pool_"+suffix, help, nil, labels), kind, value}
	}
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	return &statCollector[S]{
		stat: stat,
		metrics: []statMetric[S]{
			metric("max_conns", "Largest size of the pool.", gauge, func(s S) float64 { return float64(s.MaxConns()) }),
			metric("total_conns", "Connections in the pool: idle, acquired and being opened.", gauge, func(s S) float64 { return float64(s.TotalConns()) }),
			metric("idle_conns", "Idle connections in the pool.", gauge, func(s S) float64 { return float64(s.IdleConns()) }),
			metric("acquired_conns", "Connections in use.", gauge, func(s S) float64 { return float64(s.AcquiredConns()) }),
			metric("constructing_conns", "Connections being opened.", gauge, func(s S) float64 { return float64(s.ConstructingConns()) }),
			metric("acquires_total", "Successful acquires from the pool.", counter, func(s S) float64 { return float64(s.AcquireCount()) }),
			metric("acquire_seconds_total", "Total time successful acquires took.", counter, func(s S) float64 { return s.AcquireDuration().Seconds() }),
			metric("empty_acquires_total", "Successful acquires that had to wait for a connection (none was idle).", counter, func(s S) float64 { return float64(s.EmptyAcquireCount()) }),
			metric("empty_acquire_wait_seconds_total", "Total time acquires waited for a connection when none was idle.", counter, func(s S) float64 { return s.EmptyAcquireWaitTime().Seconds() }),
			metric("canceled_acquires_total", "Acquires given up because their context ended (a saturated pool answers 503).", counter, func(s S) float64 { return float64(s.CanceledAcquireCount()) }),
			metric("new_conns_total", "Connections opened.", counter, func(s S) float64 { return float64(s.NewConnsCount()) }),
			metric("max_lifetime_destroys_total", "Connections closed for reaching their maximum lifetime.", counter, func(s S) float64 { return float64(s.MaxLifetimeDestroyCount()) }),
			metric("max_idle_destroys_total", "Connections closed for being idle too long.", counter, func(s S) float64 { return float64(s.MaxIdleDestroyCount()) }),
		},
	}
}

// RedisPooler is a go-redis client (redis.UniversalClient: a node or a
// Cluster, whose statistics add up its nodes').
type RedisPooler interface {
	PoolStats() *redis.PoolStats
}

// NewRedisPoolCollector reports the connection pool statistics of the
// session store's Redis client as tenantkit_redis_pool_*.
func NewRedisPoolCollector(client RedisPooler) prometheus.Collector {
	metric := func(suffix, help string, kind prometheus.ValueType, value func(*redis.PoolStats) float64) statMetric[*redis.PoolStats] {
		return statMetric[*redis.PoolStats]{prometheus.NewDesc("tenantkit_redis_pool_"+suffix, help, nil, nil), kind, value}
	}
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	return &statCollector[*redis.PoolStats]{
		stat: client.PoolStats,
		metrics: []statMetric[*redis.PoolStats]{
			metric("total_conns", "Connections in the pool.", gauge, func(s *redis.PoolStats) float64 { return float64(s.TotalConns) }),
			metric("idle_conns", "Idle connections in the pool.", gauge, func(s *redis.PoolStats) float64 { return float64(s.IdleConns) }),
			metric("pending_requests", "Requests waiting for a connection.", gauge, func(s *redis.PoolStats) float64 { return float64(s.PendingRequests) }),
			metric("hits_total", "Times an idle connection was found in the pool.", counter, func(s *redis.PoolStats) float64 { return float64(s.Hits) }),
			metric("misses_total", "Times no idle connection was found in the pool.", counter, func(s *redis.PoolStats) float64 { return float64(s.Misses) }),
			metric("timeouts_total", "Times waiting for a connection timed out.", counter, func(s *redis.PoolStats) float64 { return float64(s.Timeouts) }),
			metric("waits_total", "Times a request waited for a connection.", counter, func(s *redis.PoolStats) float64 { return float64(s.WaitCount) }),
			metric("wait_seconds_total", "Total time requests waited for a connection.", counter, func(s *redis.PoolStats) float64 { return float64(s.WaitDurationNs) / 1e9 }),
			metric("stale_conns_total", "Stale connections removed from the pool.", counter, func(s *redis.PoolStats) float64 { return float64(s.StaleConns) }),
		},
	}
}
