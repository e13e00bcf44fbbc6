package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/dbtest"
	"github.com/tenantkit/tenantkit/internal/mail"
)

func TestMailTxRolledBackSendsNothing(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	s := &recordingSender{}
	q := startQueue(t, testConfig(t, s, &logBuffer{}))
	rolledBack, committed := address(t), address(t)

	tx, err := d.App.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.MailTx(ctx, tx, mail.Notice{Kind: mail.KindPasswordReset, To: rolledBack, Token: newToken()}); err != nil {
		t.Fatal(err)
	}
	var inTx int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM river.river_job WHERE args->>'to' = $1", rolledBack).Scan(&inTx); err != nil || inTx != 1 {
		t.Fatalf("jobs inside the transaction: %d, %v; want 1", inTx, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// A mail committed after it is sent; the queue is FIFO, so by then the
	// rolled-back one would have been too.
	mailTx(t, ctx, q, mail.Notice{Kind: mail.KindPasswordChanged, To: committed})
	waitForState(t, committed, "completed")

	if got := mailJobs(t, rolledBack); len(got) != 0 {
		t.Errorf("jobs after the rollback: %+v, want none", got)
	}
	if got := s.to(rolledBack); len(got) != 0 {
		t.Errorf("mails sent for a rolled-back transaction: %d", len(got))
	}
}

func TestMailTxCommittedIsSentOnce(t *testing.T) {
	logs := &logBuffer{}
	s := &recordingSender{}
	q := startQueue(t, testConfig(t, s, logs))
	to, token := address(t), newToken()
	n := mail.Notice{Kind: mail.KindVerifyEmail, To: to, Name: "Ada Lovelace", Token: token}

	mailTx(t, withRequestID(t.Context(), "req-committed"), q, n)
	job := waitForState(t, to, "completed")

	got := s.to(to)
	if len(got) != 1 {
		t.Fatalf("sent %d times, want once", len(got))
	}
	want, err := newRenderer(t).Render(n)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got[0].msg, want, cmpopts.IgnoreFields(mail.Message{}, "ID")); diff != "" {
		t.Errorf("sent message (-got +want):\n%s", diff)
	}
	if !strings.Contains(got[0].msg.Text, token) {
		t.Errorf("the sent mail lacks the token: %q", got[0].msg.Text)
	}
	if re := regexp.MustCompile(fmt.Sprintf(`^river-%d-\d+@example\.com$`, job.ID)); !re.MatchString(got[0].msg.ID) {
		t.Errorf("Message-ID %q, want river-%d-<created>@example.com", got[0].msg.ID, job.ID)
	}
	if job.Attempt != 1 || job.Errors != 0 {
		t.Errorf("attempt %d with %d errors, want 1 with none", job.Attempt, job.Errors)
	}

	// The args, as the runtime role reads them: no raw token, a sealed one
	// and the request id.
	if strings.Contains(job.Args, token) {
		t.Errorf("the job's args hold the raw token: %s", job.Args)
	}
	var args map[string]string
	if err := json.Unmarshal([]byte(job.Args), &args); err != nil {
		t.Fatal(err)
	}
	wantArgs := map[string]string{"kind": "verify_email", "to": to, "name": "Ada Lovelace", "request_id": "req-committed"}
	if diff := cmp.Diff(args, wantArgs, cmpopts.IgnoreMapEntries(func(k, _ string) bool { return k == "sealed_token" })); diff != "" {
		t.Errorf("args (-got +want):\n%s", diff)
	}
	if !strings.HasPrefix(args["sealed_token"], sealPrefix) {
		t.Errorf("sealed_token %q, want a %s sealed token", args["sealed_token"], sealPrefix)
	}

	lines := logs.lines(t, job.ID)
	if len(lines) != 1 || lines[0]["msg"] != "mail sent" || lines[0]["request_id"] != "req-committed" || lines[0]["kind"] != "verify_email" {
		t.Errorf("log lines about the job: %v, want one \"mail sent\" with its request id and kind", lines)
	}
	for _, secret := range []string{token, to, "Ada"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// An invitation's tenant, inviter and role travel in the args, beside the
// sealed token, and reach the mail; the log names none of them.
func TestMailInvitationIsSentWithItsTenantInviterAndRole(t *testing.T) {
	logs := &logBuffer{}
	s := &recordingSender{}
	q := startQueue(t, testConfig(t, s, logs))
	to, inviter, token := address(t), address(t), newToken()
	n := mail.Notice{Kind: mail.KindInvitation, To: to, Token: token, Tenant: "Globex Research", Inviter: inviter, Role: "viewer"}

	mailTx(t, withRequestID(t.Context(), "req-invitation"), q, n)
	job := waitForState(t, to, "completed")

	got := s.to(to)
	if len(got) != 1 {
		t.Fatalf("sent %d times, want once", len(got))
	}
	want, err := newRenderer(t).Render(n)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got[0].msg, want, cmpopts.IgnoreFields(mail.Message{}, "ID")); diff != "" {
		t.Errorf("sent message (-got +want):\n%s", diff)
	}
	if wantSubject := inviter + " invited you to Globex Research on Tenantkit"; got[0].msg.Subject != wantSubject {
		t.Errorf("Subject = %q, want %q", got[0].msg.Subject, wantSubject)
	}

	if strings.Contains(job.Args, token) {
		t.Errorf("the job's args hold the raw token: %s", job.Args)
	}
	var args map[string]string
	if err := json.Unmarshal([]byte(job.Args), &args); err != nil {
		t.Fatal(err)
	}
	wantArgs := map[string]string{
		"kind": "invitation", "to": to, "tenant": "Globex Research", "inviter": inviter, "role": "viewer",
		"request_id": "req-invitation",
	}
	if diff := cmp.Diff(args, wantArgs, cmpopts.IgnoreMapEntries(func(k, _ string) bool { return k == "sealed_token" })); diff != "" {
		t.Errorf("args (-got +want):\n%s", diff)
	}
	if !strings.HasPrefix(args["sealed_token"], sealPrefix) {
		t.Errorf("sealed_token %q, want a %s sealed token", args["sealed_token"], sealPrefix)
	}
	for _, secret := range []string{token, to, inviter, "Globex"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

func TestMailIsRetriedWithBackoff(t *testing.T) {
	logs := &logBuffer{}
	s := &recordingSender{failFirst: 2}
	q := startQueue(t, testConfig(t, s, logs))
	to, token := address(t), newToken()

	mailTx(t, withRequestID(t.Context(), "req-retry"), q, mail.Notice{Kind: mail.KindPasswordReset, To: to, Token: token})
	job := waitForState(t, to, "completed")

	got := s.to(to)
	if len(got) != 3 {
		t.Fatalf("%d attempts, want 3 (two failures, then delivered)", len(got))
	}
	for i, wait := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} {
		if gap := got[i+1].at.Sub(got[i].at); gap < wait {
			t.Errorf("attempt %d came %s after attempt %d, want at least %s", i+2, gap, i+1, wait)
		}
	}
	for _, a := range got[1:] {
		if a.msg.ID != got[0].msg.ID {
			t.Errorf("a retry has Message-ID %q, the first attempt %q: want the same", a.msg.ID, got[0].msg.ID)
		}
	}
	if job.Attempt != 3 || job.Errors != 2 {
		t.Errorf("attempt %d with %d errors, want 3 with 2", job.Attempt, job.Errors)
	}

	var warned []float64
	for _, l := range logs.lines(t, job.ID) {
		switch l["level"] {
		case "WARN":
			if l["request_id"] != "req-retry" || l["kind"] != "password_reset" || !strings.Contains(fmt.Sprint(l["error"]), errRelayDown.Error()) {
				t.Errorf("warn line %v, want the request id, kind and error", l)
			}
			warned = append(warned, l["attempt"].(float64))
		case "ERROR":
			t.Errorf("error line for a job that was delivered: %v", l)
		}
	}
	if diff := cmp.Diff(warned, []float64{1, 2}); diff != "" {
		t.Errorf("attempts logged at warn (-got +want):\n%s", diff)
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the log holds the token")
	}
}

func TestMailAttemptsAreBounded(t *testing.T) {
	logs := &logBuffer{}
	s := &recordingSender{failAll: true}
	cfg := testConfig(t, s, logs)
	cfg.MaxAttempts = 3
	q := startQueue(t, cfg)
	to := address(t)

	mailTx(t, withRequestID(t.Context(), "req-bounded"), q, mail.Notice{Kind: mail.KindPasswordChanged, To: to})
	job := waitForState(t, to, "discarded")

	if got := s.to(to); len(got) != 3 {
		t.Errorf("%d attempts, want 3", len(got))
	}
	var levels []string
	for _, l := range logs.lines(t, job.ID) {
		levels = append(levels, l["level"].(string))
		if l["request_id"] != "req-bounded" {
			t.Errorf("log line without the request id: %v", l)
		}
	}
	if diff := cmp.Diff(levels, []string{"WARN", "WARN", "ERROR"}); diff != "" {
		t.Errorf("log levels of the job's lines (-got +want):\n%s", diff)
	}
}

// TestMailThatCannotBeSentIsCancelled alters jobs as the runtime role could
// (or a bug, or a key change): each is cancelled at its first attempt,
// never sent, never retried.
func TestMailThatCannotBeSentIsCancelled(t *testing.T) {
	d := dbtest.New(t)
	logs := &logBuffer{}
	s := &recordingSender{}
	q := startQueue(t, testConfig(t, s, logs))

	for _, tc := range []struct {
		name  string
		alter func(args map[string]string)
	}{
		{"ciphertext altered", func(a map[string]string) {
			b := []byte(a["sealed_token"])
			b[len(b)-5] ^= 'A' ^ 'B'
			a["sealed_token"] = string(b)
		}},
		{"token moved to another address", func(a map[string]string) { a["to"] = "mallory-" + a["to"] }},
		{"token moved to another kind", func(a map[string]string) { a["kind"] = string(mail.KindEmailChange) }},
		{"raw token", func(a map[string]string) { a["sealed_token"] = newToken() }},
		{"sealed under another key", func(a map[string]string) {
			other, err := newSealer([]byte(strings.Repeat("another key ", 3)))
			if err != nil {
				t.Fatal(err)
			}
			if a["sealed_token"], err = other.seal(newToken(), a["kind"], a["to"]); err != nil {
				t.Fatal(err)
			}
		}},
		{"does not render", func(a map[string]string) { a["name"] = "Ada\u0007" }},
		{"invitation's role on a reset", func(a map[string]string) { a["role"] = "admin" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := withRequestID(t.Context(), "req-"+tc.name)
			to := address(t)
			var final string
			err := pgx.BeginFunc(ctx, d.App, func(tx pgx.Tx) error {
				if err := q.MailTx(ctx, tx, mail.Notice{Kind: mail.KindPasswordReset, To: to, Token: newToken()}); err != nil {
					return err
				}
				var id int64
				var args map[string]string
				if err := tx.QueryRow(ctx, "SELECT id, args FROM river.river_job WHERE args->>'to' = $1", to).Scan(&id, &args); err != nil {
					return err
				}
				tc.alter(args)
				final = args["to"]
				_, err := tx.Exec(ctx, "UPDATE river.river_job SET args = $2 WHERE id = $1", id, args)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			job := waitForState(t, final, "cancelled")

			if job.Attempt != 1 {
				t.Errorf("cancelled at attempt %d, want 1", job.Attempt)
			}
			if got := len(s.to(to)) + len(s.to(final)); got != 0 {
				t.Errorf("sent %d times, want never", got)
			}
			lines := logs.lines(t, job.ID)
			if len(lines) != 1 || lines[0]["level"] != "ERROR" || lines[0]["request_id"] != "req-"+tc.name {
				t.Errorf("log lines about the job: %v, want one error with the request id", lines)
			}
		})
	}
}

func TestMailTxRefusesANoticeThatCannotBeSent(t *testing.T) {
	d := dbtest.New(t)
	q, err := New(d.App, testConfig(t, nil, &logBuffer{}))
	if err != nil {
		t.Fatal(err)
	}
	to := address(t)
	for _, n := range []mail.Notice{
		{Kind: "newsletter", To: to},
		{Kind: mail.KindPasswordReset, To: ""},
		{Kind: mail.KindPasswordReset, To: to},                      // no token
		{Kind: mail.KindPasswordChanged, To: to, Token: newToken()}, // a token it does not carry
		{Kind: mail.KindPasswordChanged, To: "not an address"},
		{Kind: mail.KindPasswordChanged, To: to, Role: "admin"},                                                               // an invitation's field
		{Kind: mail.KindInvitation, To: to, Token: newToken(), Inviter: "b@example.com", Role: "admin"},                       // no tenant
		{Kind: mail.KindInvitation, To: to, Token: newToken(), Tenant: "Globex\nx", Inviter: "b@example.com", Role: "admin"},  // two lines
		{Kind: mail.KindInvitation, To: to, Token: newToken(), Tenant: "Globex", Role: "admin"},                               // no inviter
		{Kind: mail.KindInvitation, To: to, Token: newToken(), Tenant: "Globex", Inviter: "B <b@example.com>", Role: "admin"}, // not bare
		{Kind: mail.KindInvitation, To: to, Token: newToken(), Tenant: "Globex", Inviter: "b@example.com"},                    // no role
		{Kind: mail.KindInvitation, To: to, Token: newToken(), Tenant: "Globex", Inviter: "b@example.com", Role: "root"},      // unknown role
		{Kind: mail.KindInvitation, To: to, Tenant: "Globex", Inviter: "b@example.com", Role: "admin"},                        // no token
	} {
		err := pgx.BeginFunc(t.Context(), d.App, func(tx pgx.Tx) error { return q.MailTx(t.Context(), tx, n) })
		if err == nil {
			t.Errorf("MailTx(%+v): no error", n)
		}
	}
	if got := mailJobs(t, to); len(got) != 0 {
		t.Errorf("jobs inserted: %+v", got)
	}
}

func TestInsertOnlyQueue(t *testing.T) {
	d := dbtest.New(t)
	cfg := testConfig(t, nil, &logBuffer{})
	cfg.Renderer = nil
	q, err := New(d.App, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(t.Context()); err == nil {
		t.Error("Start of a queue without a Sender: no error")
	}
	if err := q.Stop(t.Context()); err != nil {
		t.Errorf("Stop of a queue never started: %v", err)
	}
	to := address(t)
	mailTx(t, t.Context(), q, mail.Notice{Kind: mail.KindPasswordChanged, To: to})
	got := mailJobs(t, to)
	if len(got) != 1 || got[0].State != "available" {
		t.Fatalf("jobs: %+v, want one available", got)
	}
	// Not for the workers of the tests that follow.
	if _, err := d.App.Exec(t.Context(), "DELETE FROM river.river_job WHERE id = $1", got[0].ID); err != nil {
		t.Fatal(err)
	}
}

func TestPeriodicJobsRun(t *testing.T) {
	logs := &logBuffer{}
	var swept, failed atomic.Int32
	cfg := testConfig(t, &recordingSender{}, logs)
	cfg.MaxAttempts = 2
	cfg.Periodic = []Periodic{
		{Name: "sweep", Every: time.Hour, Run: func(context.Context) (int64, error) {
			swept.Add(1)
			return 3, nil
		}},
		{Name: "broken", Every: time.Hour, Run: func(context.Context) (int64, error) {
			failed.Add(1)
			return 0, errors.New("cleanup failed (test)")
		}},
	}
	startQueue(t, cfg)

	// Every is an hour: each runs now because it runs on start.
	waitFor(t, "the periodic jobs to run", func() bool { return swept.Load() == 1 && failed.Load() == 2 })
	waitFor(t, "the log lines", func() bool { return len(periodicLines(t, logs)) == 3 })

	var got []string
	for _, l := range periodicLines(t, logs) {
		got = append(got, fmt.Sprintf("%s %s %v %v", l["level"], l["name"], l["count"], l["error"]))
	}
	want := []string{
		"DEBUG sweep 3 <nil>",
		"WARN broken <nil> cleanup failed (test)",
		"ERROR broken <nil> cleanup failed (test)",
	}
	if diff := cmp.Diff(got, want, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("periodic log lines (-got +want):\n%s", diff)
	}
}

// periodicLines are the log lines about periodic jobs.
func periodicLines(t *testing.T, logs *logBuffer) []map[string]any {
	var out []map[string]any
	for _, l := range logs.lines(t, 0) {
		if l["job_kind"] == periodicKind {
			out = append(out, l)
		}
	}
	return out
}

func TestNewRefusesBadConfig(t *testing.T) {
	d := dbtest.New(t)
	run := func(context.Context) (int64, error) { return 0, nil }
	for _, tc := range []struct {
		name  string
		alter func(*Config)
	}{
		{"short key", func(c *Config) { c.Key = c.Key[:31] }},
		{"sender without renderer", func(c *Config) { c.Renderer = nil }},
		{"negative attempts", func(c *Config) { c.MaxAttempts = -1 }},
		{"negative retry base", func(c *Config) { c.RetryBase = -time.Second }},
		{"periodic without name", func(c *Config) { c.Periodic = []Periodic{{Every: time.Minute, Run: run}} }},
		{"periodic twice", func(c *Config) {
			c.Periodic = []Periodic{{Name: "a", Every: time.Minute, Run: run}, {Name: "a", Every: time.Hour, Run: run}}
		}},
		{"periodic without interval", func(c *Config) { c.Periodic = []Periodic{{Name: "a", Run: run}} }},
		{"periodic without run", func(c *Config) { c.Periodic = []Periodic{{Name: "a", Every: time.Minute}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, &recordingSender{}, &logBuffer{})
			tc.alter(&cfg)
			if _, err := New(d.App, cfg); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestTaskRunsInTheBackground(t *testing.T) {
	logs := &logBuffer{}
	type call struct{ name, arg string }
	var (
		mu    sync.Mutex
		calls []call
	)
	cfg := testConfig(t, &recordingSender{}, logs)
	cfg.Tasks = func(_ context.Context, name, arg string) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{name, arg})
		if len(calls) == 1 {
			return errors.New("task failed (test)")
		}
		return nil
	}
	q := startQueue(t, cfg)
	to := address(t)

	if err := q.Task(t.Context(), "", to); err == nil {
		t.Error("a task without a name: no error")
	}
	if err := q.Task(withRequestID(t.Context(), "req-task"), "password_reset", to); err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	waitFor(t, "the task to run again and succeed", func() bool {
		lines = nil
		for _, l := range logs.lines(t, 0) {
			if l["job_kind"] == taskKind {
				lines = append(lines, l)
			}
		}
		return len(lines) == 2
	})
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(calls, []call{{"password_reset", to}, {"password_reset", to}}, cmp.AllowUnexported(call{})); diff != "" {
		t.Errorf("calls (-got +want):\n%s", diff)
	}
	for i, want := range []string{"WARN", "DEBUG"} {
		if l := lines[i]; l["level"] != want || l["name"] != "password_reset" || l["request_id"] != "req-task" {
			t.Errorf("log line %d: %v, want %s with the task's name and request id", i, l, want)
		}
	}
	if strings.Contains(logs.String(), to) {
		t.Error("the log holds the task's argument")
	}
}

// A mail a task queues carries the request id of the request that queued
// the task (the reset link a reset request causes, say).
func TestTaskPassesItsRequestIDOn(t *testing.T) {
	cfg := testConfig(t, &recordingSender{}, &logBuffer{})
	to := address(t)
	var q *Queue
	cfg.Tasks = func(ctx context.Context, _, arg string) error {
		return pgx.BeginFunc(ctx, dbtest.New(t).App, func(tx pgx.Tx) error {
			return q.MailTx(ctx, tx, mail.Notice{Kind: mail.KindPasswordReset, To: arg, Token: newToken()})
		})
	}
	q = startQueue(t, cfg)
	if err := q.Task(withRequestID(t.Context(), "req-reset"), "password_reset", to); err != nil {
		t.Fatal(err)
	}
	job := waitForState(t, to, "completed")
	var args struct {
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(job.Args), &args); err != nil || args.RequestID != "req-reset" {
		t.Errorf("the mail job's args %s (%v): want the task's request id", job.Args, err)
	}
}
