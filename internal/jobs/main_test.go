package jobs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/dbtest"
	"github.com/tenantkit/tenantkit/internal/mail"
)

// The tests of this package share one database and so one River queue: a
// started Queue works every job in it. They do not run in parallel, every
// test stops its Queue before it ends, and each sends to addresses of its
// own, so a test only ever looks at its own jobs and mails.

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// testKey stands in for TENANT_CONTEXT_KEY.
var testKey = []byte("jobs test key: thirty-two bytes or more")

// address returns a recipient no other test uses.
func address(t *testing.T) string {
	t.Helper()
	return "u-" + strings.ToLower(rand.Text()[:10]) + "@example.com"
}

// newToken returns a token shaped like the ones identity issues.
func newToken() string { return rand.Text() + rand.Text() }

func newRenderer(t *testing.T) *mail.Renderer {
	t.Helper()
	r, err := mail.NewRenderer("Tenantkit", "https://app.example.com")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type requestIDKey struct{}

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// testConfig is a Config for fast tests: short polls and retries.
func testConfig(t *testing.T, s Sender, logs *logBuffer) Config {
	t.Helper()
	return Config{
		Logger:       slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Sender:       s,
		Renderer:     newRenderer(t),
		Key:          testKey,
		RequestID:    requestIDFrom,
		RetryBase:    100 * time.Millisecond,
		PollInterval: 50 * time.Millisecond,
	}
}

// startQueue builds and starts a Queue on the runtime role's pool, stopped
// when the test ends.
func startQueue(t *testing.T, cfg Config) *Queue {
	t.Helper()
	q, err := New(dbtest.New(t).App, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return q
}

// mailTx inserts n with q in a transaction of the runtime role and commits.
func mailTx(t *testing.T, ctx context.Context, q *Queue, n mail.Notice) {
	t.Helper()
	err := pgx.BeginFunc(ctx, dbtest.New(t).App, func(tx pgx.Tx) error { return q.MailTx(ctx, tx, n) })
	if err != nil {
		t.Fatalf("MailTx: %v", err)
	}
}

// attempt is one call of recordingSender.Send.
type attempt struct {
	msg mail.Message
	at  time.Time
	err error
}

// recordingSender records every delivery attempt; the first failFirst
// fail, or all of them with failAll.
type recordingSender struct {
	failFirst int
	failAll   bool

	mu       sync.Mutex
	attempts []attempt
}

var errRelayDown = errors.New("relay down (test)")

func (s *recordingSender) Send(_ context.Context, m mail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.failAll || len(s.attempts) < s.failFirst {
		err = errRelayDown
	}
	s.attempts = append(s.attempts, attempt{msg: m, at: time.Now(), err: err})
	return err
}

// to returns the attempts to address.
func (s *recordingSender) to(address string) []attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []attempt
	for _, a := range s.attempts {
		if a.msg.To == address {
			out = append(out, a)
		}
	}
	return out
}

// logBuffer collects JSON log lines; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the records whose job_id is id (all when id is 0).
func (b *logBuffer) lines(t *testing.T, id int64) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(b.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if id == 0 || rec["job_id"] == float64(id) {
			out = append(out, rec)
		}
	}
	return out
}

// jobRow is a row of River's job table, as the runtime role reads it.
type jobRow struct {
	ID      int64
	State   string
	Attempt int
	Errors  int
	Args    string
}

// mailJobs returns the mail jobs to address, oldest first, read as the
// runtime role.
func mailJobs(t *testing.T, address string) []jobRow {
	t.Helper()
	rows, err := dbtest.New(t).App.Query(t.Context(), `
SELECT id, state::text, attempt, coalesce(array_length(errors, 1), 0), args::text
FROM river.river_job WHERE kind = 'mail' AND args->>'to' = $1 ORDER BY id`, address)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[jobRow])
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitForState waits until the one mail job to address is in state and
// returns it.
func waitForState(t *testing.T, address, state string) jobRow {
	t.Helper()
	var got []jobRow
	waitFor(t, "the job to "+address+" to be "+state, func() bool {
		got = mailJobs(t, address)
		return len(got) == 1 && got[0].State == state
	})
	return got[0]
}
