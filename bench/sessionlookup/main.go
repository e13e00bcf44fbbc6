// Command sessionlookup measures the session store's lookup (Store.FindCtx,
// the one store read of every authenticated request) on a database that
// bench/seed filled, from several goroutines at once, and prints the count,
// throughput, latency quantiles and allocations per lookup. It measures the
// product code: the store is built with internal/session's and
// internal/database's constructors, as cmd/server's serve builds it, and
// connects as the runtime role. scripts/bench-scale runs it.
//
//	SESSION_STORE=postgres APP_DATABASE_URL=postgres://tenantkit_scale@127.0.0.1:5432/tenantkit_scale \
//	go run ./bench/sessionlookup -sessions 1000000
//
// It reads the server's variables: SESSION_STORE (postgres or redis),
// APP_DATABASE_URL (never the owner or a superuser: it refuses them),
// REDIS_URL and REDIS_KEY_PREFIX (default tenantkit:<database>:, as serve).
// Tokens are derived from -seed and an index below -sessions (see package
// bench/seed/seeded); every lookup picks one at random.
//
// Before it measures, it checks a sample of the seeded tokens through
// session.Manager (the cookie's session as the request-auth path sees it,
// which may touch the record, as the server would) and Store.ListUser, so
// that records the server would refuse fail the run instead of being
// measured. A lookup that finds no session, or fails, fails the run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/bench/seed/seeded"
	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/session"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sessionlookup:", err)
		os.Exit(1)
	}
}

type config struct {
	store       string
	appURL      string
	redisURL    string
	redisPrefix string
	sessions    int
	seed        string
	concurrency int
	conns       int // Postgres connections
	duration    time.Duration
	warmup      time.Duration
	verify      int
	cpuProfile  string
	memProfile  string
}

func loadConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("sessionlookup", flag.ContinueOnError)
	fs.IntVar(&c.sessions, "sessions", 1_000_000, "how many sessions bench/seed seeded; lookups pick among them")
	fs.StringVar(&c.seed, "seed", seeded.DefaultSeed, "the seed bench/seed used")
	fs.IntVar(&c.concurrency, "concurrency", 8, "lookups in flight (goroutines)")
	fs.IntVar(&c.conns, "conns", 0, "Postgres connections (0: as many as -concurrency); with fewer, lookups queue for one in the pool")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to measure")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "how long to run before measuring (connections, caches)")
	fs.IntVar(&c.verify, "verify", 100, "seeded tokens to check through session.Manager first")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured lookups to this file")
	fs.StringVar(&c.memProfile, "memprofile", "", "write an allocation profile of the measured lookups (every allocation: slower lookups) to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	env := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	c.store = env("SESSION_STORE", "postgres")
	c.appURL = env("APP_DATABASE_URL", "")
	c.redisURL = env("REDIS_URL", "")
	c.redisPrefix = env("REDIS_KEY_PREFIX", "")
	switch {
	case c.store != "postgres" && c.store != "redis":
		return c, fmt.Errorf("SESSION_STORE: want postgres or redis, got %q", c.store)
	case c.store == "postgres" && c.appURL == "":
		return c, errors.New("APP_DATABASE_URL: required (the runtime role)")
	case c.store == "redis" && c.redisURL == "":
		return c, errors.New("REDIS_URL: required when SESSION_STORE=redis")
	case c.sessions < 1 || c.concurrency < 1 || c.concurrency > 1000 || c.conns < 0 || c.conns > 1000 || c.duration <= 0 || c.warmup < 0 || c.verify < 0:
		return c, errors.New("want -sessions >= 1, -concurrency and -conns from 1 to 1000, -duration > 0, -warmup >= 0, -verify >= 0")
	}
	if c.conns == 0 {
		c.conns = c.concurrency
	}
	if c.store == "redis" && c.redisPrefix == "" {
		// serve's default: tenantkit:<database in APP_DATABASE_URL>:.
		pc, err := pgconn.ParseConfig(c.appURL)
		if c.appURL == "" || err != nil || pc.Database == "" {
			return c, errors.New("REDIS_KEY_PREFIX: required when APP_DATABASE_URL does not name the database")
		}
		c.redisPrefix = "tenantkit:" + pc.Database + ":"
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(args, getenv)
	if err != nil {
		return err
	}
	store, closeStore, err := openStore(ctx, cfg, stdout)
	if err != nil {
		return err
	}
	defer closeStore()

	// Every token in one string: a token is a substring, which costs no
	// allocation, and the GC has one object to scan instead of a million.
	buf := make([]byte, 0, cfg.sessions*seeded.TokenLen)
	for i := range cfg.sessions {
		buf = seeded.AppendToken(buf, cfg.seed, i)
	}
	tokens := string(buf)
	token := func(i int) string { return tokens[i*seeded.TokenLen : (i+1)*seeded.TokenLen] }

	if err := verify(ctx, store, cfg, token); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sessionlookup: %d sampled tokens resolve through session.Manager and Store.ListUser to their seeded users\n", cfg.verify)

	if cfg.warmup > 0 {
		if _, err := measure(ctx, store, cfg, cfg.warmup, token, newHistograms(cfg.concurrency)); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	hists := newHistograms(cfg.concurrency) // before the count of allocations starts
	stopProfiles, err := startProfiles(cfg)
	if err != nil {
		return err
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := measure(ctx, store, cfg, cfg.duration, token, hists)
	runtime.ReadMemStats(&after)
	if perr := stopProfiles(); err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	h := res.hist
	perSec := float64(h.n) / res.elapsed.Seconds()
	allocs := float64(after.Mallocs-before.Mallocs) / float64(h.n)
	bytes := float64(after.TotalAlloc-before.TotalAlloc) / float64(h.n)
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	conns := "-" // go-redis sizes its own pool
	if cfg.store == "postgres" {
		conns = strconv.Itoa(cfg.conns)
	}
	fmt.Fprintf(stdout, "sessionlookup: store=%s sessions=%d concurrency=%d conns=%s GOMAXPROCS=%d, %v after a %v warm-up\n",
		cfg.store, cfg.sessions, cfg.concurrency, conns, runtime.GOMAXPROCS(0), cfg.duration, cfg.warmup)
	fmt.Fprintf(stdout, "  lookups %d  %.0f/s  p50 %v  p90 %v  p99 %v  max %v  allocs/lookup %.1f  bytes/lookup %.0f\n",
		h.n, perSec, h.quantile(0.50), h.quantile(0.90), h.quantile(0.99), h.max.Round(time.Microsecond), allocs, bytes)
	// One line for scripts/bench-scale to collect.
	fmt.Fprintf(stdout, "RESULT store=%s sessions=%d conns=%s lookups=%d per_sec=%.0f p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f allocs=%.1f bytes=%.0f\n",
		cfg.store, cfg.sessions, conns, h.n, perSec, us(h.quantile(0.50)), us(h.quantile(0.90)), us(h.quantile(0.99)), us(h.max), allocs, bytes)
	return nil
}

// startProfiles starts the profiles cfg asks for; the function it returns
// stops them and writes them out.
func startProfiles(cfg config) (stop func() error, err error) {
	var cpu *os.File
	if cfg.cpuProfile != "" {
		if cpu, err = os.Create(cfg.cpuProfile); err != nil {
			return nil, fmt.Errorf("-cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("-cpuprofile: %w", err)
		}
	}
	if cfg.memProfile != "" {
		runtime.MemProfileRate = 1
	}
	return func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpu.Close())
		}
		if cfg.memProfile != "" {
			// The profile shows the allocations up to the last GC.
			runtime.GC()
			f, err := os.Create(cfg.memProfile) //nolint:gosec // G703: a path the operator names on the command line
			if err != nil {
				return fmt.Errorf("-memprofile: %w", err)
			}
			errs = append(errs, pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
		}
		return errors.Join(errs...)
	}, nil
}

// openStore builds the store cfg names as serve does (cmd/server:
// serve, newSessionStore), without the background cleanup: it times one
// cleanup pass instead.
func openStore(ctx context.Context, cfg config, stdout io.Writer) (session.Store, func(), error) {
	if cfg.store == "redis" {
		client, err := session.NewRedisClient(cfg.redisURL)
		if err != nil {
			return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		if err := client.Ping(ctx).Err(); err != nil {
			client.Close()
			return nil, nil, fmt.Errorf("REDIS_URL: cannot reach redis: %w", err)
		}
		return session.NewRedisStore(client, cfg.redisPrefix), func() { client.Close() }, nil
	}
	pool, err := database.Open(ctx, cfg.appURL, database.PoolConfig{
		MaxConns:         int32(cfg.conns),
		StatementTimeout: 5 * time.Second,
		IdleInTxTimeout:  30 * time.Second,
		AppName:          "tenantkit-sessionlookup",
	})
	if err != nil {
		return nil, nil, fmt.Errorf("APP_DATABASE_URL: %w", err)
	}
	if err := checkRuntimeRole(ctx, pool); err != nil {
		pool.Close()
		return nil, nil, err
	}
	store := session.NewPostgresStore(pool)
	start := time.Now()
	n, err := store.DeleteExpired(ctx)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	fmt.Fprintf(stdout, "sessionlookup: one cleanup pass (PostgresStore.DeleteExpired) deleted %d sessions in %v\n", n, time.Since(start).Round(time.Microsecond))
	return store, pool.Close, nil
}

// checkRuntimeRole refuses a role that row-level security would not apply
// to, or that owns the session table: lookups as it would measure a
// configuration serve refuses.
func checkRuntimeRole(ctx context.Context, pool *pgxpool.Pool) error {
	var name string
	var unsafe bool
	err := pool.QueryRow(ctx, `
SELECT r.rolname, r.rolsuper OR r.rolbypassrls OR c.relowner = r.oid
FROM pg_roles r, pg_class c
WHERE r.rolname = current_user AND c.oid = 'public.sessions'::regclass`).Scan(&name, &unsafe)
	switch {
	case err != nil:
		return fmt.Errorf("APP_DATABASE_URL: %w (is the database migrated?)", err)
	case unsafe:
		return fmt.Errorf("APP_DATABASE_URL: role %q is a superuser, has BYPASSRLS or owns the session table; use the runtime role", name)
	}
	return nil
}

// verify checks cfg.verify random seeded tokens as a request would see
// them: session.Manager loads the cookie's session, Current returns it
// (alive, decoded, the seeded user's), and the user's index lists it.
func verify(ctx context.Context, store session.Store, cfg config, token func(int) string) error {
	m := session.NewManager(store, session.Config{Logger: slog.New(slog.DiscardHandler)})
	var got session.Session
	var gotErr error
	h := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotErr = m.Current(r)
	}))
	rnd := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // G404: picks which seeded token to check; nothing secret
	for range cfg.verify {
		i := rnd.IntN(cfg.sessions)
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/me", nil)
		r.Header.Set("Cookie", m.CookieName()+"="+token(i))
		got, gotErr = session.Session{}, nil
		h.ServeHTTP(httptest.NewRecorder(), r)
		want := seeded.UserID(cfg.seed, i)
		switch {
		case gotErr != nil:
			return fmt.Errorf("seeded session %d: session.Manager: %w (seeded with another -seed, expired, or a record format bench/seed does not write)", i, gotErr)
		case got.UserID != want:
			return fmt.Errorf("seeded session %d: user %s, want %s", i, got.UserID, want)
		}
		recs, err := store.ListUser(ctx, want)
		if err != nil {
			return fmt.Errorf("seeded session %d: list the user's sessions: %w", i, err)
		}
		if len(recs) != 1 {
			return fmt.Errorf("seeded session %d: the user's index lists %d sessions, want 1", i, len(recs))
		}
	}
	return nil
}

// result is one measurement.
type result struct {
	hist    *histogram
	elapsed time.Duration
}

// measure runs a goroutine per histogram in hists that looks up random
// seeded tokens for d and records the latencies there.
func measure(ctx context.Context, store session.Store, cfg config, d time.Duration, token func(int) string, hists []*histogram) (result, error) {
	type worker struct {
		hist *histogram
		err  error
	}
	workers := make([]worker, len(hists))
	for w, h := range hists {
		workers[w].hist = h
	}
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range workers {
		wg.Go(func() {
			wk := &workers[w]
			rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w))) //nolint:gosec // G404: picks which seeded token to look up; nothing secret
			for ctx.Err() == nil {
				i := rnd.IntN(cfg.sessions)
				t0 := time.Now()
				_, found, err := store.FindCtx(ctx, token(i))
				t1 := time.Now()
				if err == nil && !found {
					err = fmt.Errorf("seeded session %d not found (expired, or not seeded: -sessions %d too high?)", i, cfg.sessions)
				}
				if err != nil {
					wk.err = err
					return
				}
				wk.hist.record(t1.Sub(t0))
				if t1.After(deadline) {
					return
				}
			}
			wk.err = ctx.Err()
		})
	}
	wg.Wait()
	res := result{hist: newHistograms(1)[0], elapsed: time.Since(start)}
	var errs []error
	for _, wk := range workers {
		res.hist.merge(wk.hist)
		errs = append(errs, wk.err)
	}
	return res, errors.Join(errs...)
}
