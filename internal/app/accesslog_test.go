package app_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/apptest"
)

// syncBuffer is a log destination the test server's goroutines may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// requests returns the access log lines written so far, decoded.
func (b *syncBuffer) requests(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var lines []map[string]any
	for l := range strings.Lines(b.buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	b.buf.Reset()
	return lines
}

// TestAccessLog: one JSON line per request, with the fields operators
// search by.
func TestAccessLog(t *testing.T) {
	var logs syncBuffer
	e := apptest.New(t, apptest.Options{Configure: func(c *app.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	}})
	u := e.Signup("logged")
	logs.requests(t)
	u.Must(http.StatusOK, "GET", "/api/me", nil, apptest.Header{Key: "X-Request-Id", Value: "req-42"})
	lines := logs.requests(t)
	if len(lines) != 1 {
		t.Fatalf("%d access log lines, want 1: %v", len(lines), lines)
	}
	got := lines[0]
	for _, key := range []string{"time", "duration_ms", "bytes"} {
		if _, ok := got[key]; !ok {
			t.Errorf("no %s in %v", key, got)
		}
		delete(got, key)
	}
	want := map[string]any{
		"level": "INFO", "msg": "request", "method": "GET", "path": "/api/me", "status": float64(200),
		"ip": "127.0.0.1", "request_id": "req-42", "user_id": u.ID,
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("access log line (-got +want):\n%s", diff)
	}
}

// TestAccessLogSample: with ACCESS_LOG_SAMPLE=0 (AccessLogDrop 1) no
// successful request is logged, and every failed one still is.
func TestAccessLogSample(t *testing.T) {
	var logs syncBuffer
	e := apptest.New(t, apptest.Options{Configure: func(c *app.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		c.AccessLogDrop = 1
	}})
	c := e.Client()
	for range 5 {
		c.Must(http.StatusOK, "GET", "/healthz", nil)
		c.Must(http.StatusUnauthorized, "GET", "/api/me", nil)
		c.Must(http.StatusNotFound, "GET", "/nope", nil)
	}
	var got []string
	for _, l := range logs.requests(t) {
		got = append(got, l["path"].(string))
	}
	want := strings.Split(strings.Repeat("/api/me /nope ", 5), " ")
	want = want[:len(want)-1]
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("logged paths (-got +want):\n%s", diff)
	}
}
