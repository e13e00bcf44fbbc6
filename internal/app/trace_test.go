package app_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// tracedPool opens a pool on url that records every statement it runs,
// and every round trip, in rec under the name pool.
func tracedPool(t *testing.T, url string, rec *statementLog, pool string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	cfg.ConnConfig.Tracer = tracer{rec: rec, pool: pool}
	p, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// statement is one SQL statement a pool ran. trip is true for the first
// statement of a round trip: a statement of its own, a prepare, or the
// first of a pipelined batch (the batch's others ride along).
type statement struct {
	pool, sql string
	trip      bool
}

func (s statement) String() string {
	mark := "  + "
	if s.trip {
		mark = "=> "
	}
	return mark + s.pool + ": " + strings.Join(strings.Fields(s.sql), " ")
}

// statementLog collects the statements of every traced pool and Redis
// client, in the order they started.
type statementLog struct {
	mu   sync.Mutex
	list []statement
}

func (l *statementLog) add(s statement) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, s)
}

func (l *statementLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = nil
}

func (l *statementLog) take() []statement {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.list
	l.list = nil
	return out
}

// trips counts the round trips in list to pool.
func trips(list []statement, pool string) int {
	n := 0
	for _, s := range list {
		if s.pool == pool && s.trip {
			n++
		}
	}
	return n
}

// tracer is a pgx tracer that logs each statement and round trip.
type tracer struct {
	rec  *statementLog
	pool string
}

func (tr tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	tr.rec.add(statement{pool: tr.pool, sql: data.SQL, trip: true})
	return ctx
}

func (tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A batch is one round trip however many statements it holds; its
// statements are logged as pgx reads their results.
func (tr tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	tr.rec.add(statement{pool: tr.pool, sql: "(batch)", trip: true})
	return ctx
}

func (tr tracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	tr.rec.add(statement{pool: tr.pool, sql: data.SQL})
}

func (tracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (tr tracer) TracePrepareStart(ctx context.Context, _ *pgx.Conn, data pgx.TracePrepareStartData) context.Context {
	tr.rec.add(statement{pool: tr.pool, sql: "PREPARE " + data.SQL, trip: true})
	return ctx
}

func (tracer) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

// redisTracer is a go-redis hook that logs each command, or pipeline, as
// a round trip to "redis".
type redisTracer struct{ rec *statementLog }

func (redisTracer) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h redisTracer) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.rec.add(statement{pool: "redis", sql: cmd.Name(), trip: true})
		return next(ctx, cmd)
	}
}

func (h redisTracer) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		names := make([]string, len(cmds))
		for i, c := range cmds {
			names[i] = c.Name()
		}
		h.rec.add(statement{pool: "redis", sql: "pipeline " + strings.Join(names, " "), trip: true})
		return next(ctx, cmds)
	}
}
