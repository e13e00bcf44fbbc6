// Command seed fills a migrated tenantkit database with users, tenants,
// memberships and sessions for benchmarks, fast: with COPY as the owner
// role, not through the API (no password hashing, no per-row round trips).
// scripts/bench-scale runs it; nothing in the product imports it.
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/tenantkit_scale \
//	REDIS_URL=redis://127.0.0.1:6379/0 \
//	go run ./bench/seed -users 1000000 -tenants 10000
//
// It writes users 0..users-1 (seed-<i>@scale.invalid), tenants
// 0..tenants-1 (slug seed-<i>), one membership per user (user i in tenant
// i mod tenants; the first user of a tenant its owner) and one live session
// per user in that tenant, as the server would store it after a login and a
// tenant switch. Ids and session tokens are derived from -seed and the
// index (package seeded), so bench/sessionlookup can present the tokens
// without a list: a benchmark-only shortcut, never for a database with real
// users. Seeded users have no password.
//
// Sessions go to Postgres always, and to Redis as well when REDIS_URL is
// set, under REDIS_KEY_PREFIX (default tenantkit:<database>:, the server's
// default for the same database), in the layout of session.RedisStore.
// They end after session.DefaultIdleTimeout, as a fresh login's would.
//
// Seeding is additive: rows whose index exists already are kept, so a
// second run with larger counts tops the database up (1k, then 1M). It
// finds where each table's seeded rows end by binary search on derived
// ids, so the database may hold other rows too. Seed a database with one
// -seed only. -delete-redis deletes every key under the prefix and exits.
// -write-tokens FILE writes session tokens of seeded users, for wrk to
// send as cookies, and exits (no database needed).
//
// The owner must bypass row-level security (a superuser or BYPASSRLS, as
// `make run`'s local postgres role is): memberships has FORCE ROW LEVEL
// SECURITY, and COPY refuses tables whose policies apply to it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/tenantkit/tenantkit/bench/seed/seeded"
	"github.com/tenantkit/tenantkit/internal/session"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

// config is what one run does.
type config struct {
	databaseURL string
	redisURL    string // "" for no Redis
	redisPrefix string
	users       int
	tenants     int
	seed        string
	idle        time.Duration
	deleteRedis bool
	cpuProfile  string
	sequential  bool
	writeTokens string
	tokens      int
}

func loadConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.IntVar(&c.users, "users", 1_000_000, "users, and sessions (one each), to have in the database")
	fs.IntVar(&c.tenants, "tenants", 10_000, "tenants to have in the database")
	fs.StringVar(&c.seed, "seed", seeded.DefaultSeed, "what ids and tokens are derived from (bench/sessionlookup needs the same)")
	fs.DurationVar(&c.idle, "idle", session.DefaultIdleTimeout, "how long after seeding the sessions end (the server's SESSION_IDLE_TIMEOUT)")
	fs.BoolVar(&c.deleteRedis, "delete-redis", false, "delete every Redis key under REDIS_KEY_PREFIX, then exit")
	fs.BoolVar(&c.sequential, "sequential", false, "run the steps one after another, so each one's time is its own")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the seeding to this file")
	fs.StringVar(&c.writeTokens, "write-tokens", "", "write the session tokens of -tokens of the -users seeded users, spread evenly over them, one a line, to this file and exit")
	fs.IntVar(&c.tokens, "tokens", 100_000, "how many tokens -write-tokens writes (at most -users)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.databaseURL = strings.TrimSpace(getenv("DATABASE_URL"))
	c.redisURL = strings.TrimSpace(getenv("REDIS_URL"))
	c.redisPrefix = strings.TrimSpace(getenv("REDIS_KEY_PREFIX"))
	switch {
	case c.databaseURL == "" && !c.deleteRedis && c.writeTokens == "":
		return c, errors.New("DATABASE_URL: required (the owner role of a migrated database)")
	case c.deleteRedis && c.redisURL == "":
		return c, errors.New("REDIS_URL: required with -delete-redis")
	case c.users < 1 || c.tenants < 1:
		return c, errors.New("-users and -tenants: want at least 1")
	case c.tokens < 1 || c.tokens > 10_000_000:
		return c, errors.New("-tokens: want 1 to 10,000,000")
	case c.idle < time.Minute:
		return c, errors.New("-idle: want at least 1m")
	}
	if c.redisPrefix == "" && c.redisURL != "" {
		// The server's default (cmd/server: redisKeyPrefix), for the same
		// database: the owner's URL names it as APP_DATABASE_URL does.
		pc, err := pgconn.ParseConfig(c.databaseURL)
		if c.databaseURL == "" || err != nil || pc.Database == "" {
			return c, errors.New("REDIS_KEY_PREFIX: required when DATABASE_URL names no database")
		}
		c.redisPrefix = "tenantkit:" + pc.Database + ":"
	}
	if c.redisURL != "" && (!strings.HasSuffix(c.redisPrefix, ":") || len(c.redisPrefix) < 3) {
		return c, fmt.Errorf("REDIS_KEY_PREFIX: %q must name a deployment and end with ':'", c.redisPrefix)
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(args, getenv)
	if err != nil {
		return err
	}
	if cfg.writeTokens != "" {
		return writeTokens(cfg.writeTokens, cfg.seed, cfg.users, cfg.tokens)
	}
	var rdb redis.UniversalClient
	if cfg.redisURL != "" {
		if rdb, err = session.NewRedisClient(bulkTimeouts(cfg.redisURL)); err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		defer rdb.Close()
		if err := rdb.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("REDIS_URL: cannot reach redis: %w", err)
		}
	}
	if cfg.deleteRedis {
		start := time.Now()
		n, err := deleteRedisKeys(ctx, rdb, cfg.redisPrefix)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seed: deleted %d redis keys under %s in %v\n", n, cfg.redisPrefix, since(start))
		return nil
	}

	pc, err := pgxpool.ParseConfig(cfg.databaseURL)
	if err != nil {
		return errors.New("DATABASE_URL: invalid connection string")
	}
	pc.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer pool.Close()
	superuser, err := checkOwner(ctx, pool)
	if err != nil {
		return err
	}

	where := "postgres"
	if rdb != nil {
		where += " and redis (prefix " + cfg.redisPrefix + ")"
	}
	fmt.Fprintf(stdout, "seed: %d users with one session each, %d tenants, seed %q; sessions in %s\n",
		cfg.users, cfg.tenants, cfg.seed, where)
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	now := time.Now().UTC()
	s := &seeder{cfg: cfg, pool: pool, superuser: superuser, rdb: rdb, deadline: now.Add(cfg.idle), out: stdout}
	if s.records, err = newRecordTemplate(now, s.deadline); err != nil {
		return err
	}
	s.recordLen = len(s.records.append(nil, uuid.UUID{}, uuid.UUID{}, uuid.UUID{}, []byte("198.51.100.255")))
	return s.run(ctx)
}

// seeder runs one seeding.
type seeder struct {
	cfg       config
	pool      *pgxpool.Pool
	superuser bool                  // the owner is one: see copyRows
	rdb       redis.UniversalClient // nil: Postgres only
	// The seeded sessions log in now and end at deadline; their records
	// are written from records, and are at most recordLen bytes.
	deadline  time.Time
	records   *recordTemplate
	recordLen int

	out io.Writer
	mu  sync.Mutex // out
}

// run finds what is seeded already, then writes the rest: the tenants,
// users and memberships in order on one connection, the Postgres sessions
// on another and the Redis sessions beside them (sessions reference no
// other table), then vacuums and analyzes what it wrote.
func (s *seeder) run(ctx context.Context) error {
	start := time.Now()
	from, err := s.seeded(ctx)
	if err != nil {
		return err
	}
	s.report("find seeded rows", 0, time.Since(start),
		fmt.Sprintf("tenants %d, users %d, memberships %d, sessions %d (postgres)%s",
			from.tenants, from.users, from.memberships, from.pgSessions, from.redisText()))

	steps := []func(context.Context) error{
		func(ctx context.Context) error {
			if err := s.step(ctx, "copy tenants", from.tenants, s.cfg.tenants, s.copyTenants); err != nil {
				return err
			}
			if err := s.step(ctx, "copy users", from.users, s.cfg.users, s.copyUsers); err != nil {
				return err
			}
			return s.step(ctx, "copy memberships", from.memberships, s.cfg.users, s.copyMemberships)
		},
		func(ctx context.Context) error {
			return s.step(ctx, "copy sessions (postgres)", from.pgSessions, s.cfg.users, s.copySessions)
		},
	}
	if s.rdb != nil {
		steps = append(steps, func(ctx context.Context) error {
			return s.step(ctx, "write sessions (redis)", from.redisSessions, s.cfg.users, s.writeRedisSessions)
		})
	}
	if s.cfg.sequential {
		for _, step := range steps {
			if err := step(ctx); err != nil {
				return err
			}
		}
	} else if err := parallel(ctx, steps); err != nil {
		return err
	}

	vacuumed := time.Now()
	for _, table := range []string{"tenants", "users", "memberships", "sessions"} {
		// Fixed names: nothing here comes from input.
		if _, err := s.pool.Exec(ctx, "VACUUM (ANALYZE) "+table); err != nil {
			return fmt.Errorf("vacuum %s: %w", table, err)
		}
	}
	s.report("vacuum analyze", 0, time.Since(vacuumed), "hint bits, visibility map and statistics, as a database in steady state has them")
	s.report("total", 0, time.Since(start), "")
	return nil
}

// step runs write(ctx, from, to) unless from >= to, and reports it.
func (s *seeder) step(ctx context.Context, name string, from, to int, write func(context.Context, int, int) error) error {
	if from >= to {
		s.report(name, 0, 0, "all present")
		return nil
	}
	start := time.Now()
	if err := write(ctx, from, to); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	s.report(name, to-from, time.Since(start), "")
	return nil
}

// report prints one step's line.
func (s *seeder) report(name string, rows int, d time.Duration, note string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	line := fmt.Sprintf("  %-26s %9v", name, d.Round(time.Millisecond))
	if rows > 0 {
		line += fmt.Sprintf("  %9d rows  %8.0f rows/s", rows, float64(rows)/d.Seconds())
	}
	if note != "" {
		line += "  " + note
	}
	fmt.Fprintln(s.out, line)
}

// parallel runs the steps concurrently. The first to fail cancels the
// others, and its error is the one returned (theirs only say so).
func parallel(ctx context.Context, steps []func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for _, step := range steps {
		wg.Go(func() {
			if err := step(ctx); err != nil {
				once.Do(func() { first = err })
				cancel()
			}
		})
	}
	wg.Wait()
	return first
}

// bulkTimeouts gives the Redis client longer read and write timeouts than
// the server's one second (session.NewRedisClient), unless the URL sets
// them: a pipeline of thousands of commands can take longer on a busy
// machine, and the client retries a command that timed out (a retried
// UNLINK finds its keys gone and reports fewer than were deleted).
func bulkTimeouts(redisURL string) string {
	for _, opt := range []string{"read_timeout", "write_timeout"} {
		if strings.Contains(redisURL, opt+"=") {
			continue
		}
		sep := "&"
		if !strings.Contains(redisURL, "?") {
			sep = "?"
		}
		redisURL += sep + opt + "=30s"
	}
	return redisURL
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

// writeTokens writes the tokens of min(users, n) sessions, spread evenly
// over the first users seeded, one a line, to path.
func writeTokens(path, seed string, users, n int) error {
	n = min(users, n)
	buf := make([]byte, 0, n*(seeded.TokenLen+1))
	for k := range n {
		buf = seeded.AppendToken(buf, seed, int(int64(k)*int64(users)/int64(n)))
		buf = append(buf, '\n')
	}
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		return fmt.Errorf("-write-tokens: %w", err)
	}
	return nil
}
