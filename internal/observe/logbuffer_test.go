package observe

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is an io.Writer that keeps each Write apart.
type recorder struct {
	mu     sync.Mutex
	writes []string
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *recorder) got() (writes int, all string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.writes), strings.Join(r.writes, "")
}

const never = time.Hour // an interval no test waits for

func TestLogBufferBatches(t *testing.T) {
	var rec recorder
	b := NewLogBuffer(&rec, 100, never)
	defer b.Close()
	write := func(s string) {
		t.Helper()
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	check := func(what string, wantWrites int, want string) {
		t.Helper()
		if n, all := rec.got(); n != wantWrites || all != want {
			t.Errorf("%s: %d writes of %q; want %d of %q", what, n, all, wantWrites, want)
		}
	}
	line := strings.Repeat("x", 39) + "\n" // 40 bytes
	write(line)
	write(line)
	check("two lines in a 100-byte buffer", 0, "")
	write(line)
	check("a third that does not fit", 1, line+line)
	write(strings.Repeat("y", 150) + "\n")
	check("a line longer than the buffer", 3, line+line+line+strings.Repeat("y", 150)+"\n")
	write(line)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	check("Flush", 4, line+line+line+strings.Repeat("y", 150)+"\n"+line)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	check("Flush with nothing buffered", 4, line+line+line+strings.Repeat("y", 150)+"\n"+line)
}

func TestLogBufferFlushesEveryInterval(t *testing.T) {
	var rec recorder
	b := NewLogBuffer(&rec, 1<<10, 10*time.Millisecond)
	defer b.Close()
	fmt.Fprintln(b, "hello")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, all := rec.got(); all == "hello\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the line was not written within 5s of a 10ms interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLogBufferClose(t *testing.T) {
	var rec recorder
	b := NewLogBuffer(&rec, 1<<10, never)
	fmt.Fprintln(b, "before")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, all := rec.got(); all != "before\n" {
		t.Errorf("after Close: %q, want the buffered line", all)
	}
	fmt.Fprintln(b, "after") // a late logger loses nothing
	if n, all := rec.got(); n != 2 || all != "before\nafter\n" {
		t.Errorf("a write after Close: %d writes of %q; want it written at once", n, all)
	}
	if err := b.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// TestLogBufferHandler: warnings and errors go out at once, with what was
// buffered before them; info waits.
func TestLogBufferHandler(t *testing.T) {
	var rec recorder
	b := NewLogBuffer(&rec, 1<<10, never)
	defer b.Close()
	log := slog.New(b.Handler(slog.NewJSONHandler(b, nil))).With("component", "test")
	log.Info("request")
	if n, _ := rec.got(); n != 0 {
		t.Errorf("info: %d writes, want it buffered", n)
	}
	log.WithGroup("g").Warn("careful", "k", "v")
	n, all := rec.got()
	if n != 1 || strings.Count(all, "\n") != 2 || !strings.Contains(all, `"msg":"request"`) || !strings.Contains(all, `"g":{"k":"v"}`) {
		t.Errorf("warn: %d writes of %q; want one write of both lines", n, all)
	}
	log.Error("failed")
	if n, _ := rec.got(); n != 2 {
		t.Errorf("error: %d writes in all, want 2", n)
	}
	if !log.Handler().Enabled(context.Background(), slog.LevelInfo) || log.Handler().Enabled(context.Background(), slog.LevelDebug) {
		t.Error("the wrapped handler's level is not kept")
	}
}

// TestLogBufferConcurrent: lines written from many goroutines at once
// (and the flushing goroutine) come out whole, each exactly once.
func TestLogBufferConcurrent(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex // out is not safe for concurrent use; the buffer's flusher and writers share it
	b := NewLogBuffer(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) }), 512, time.Millisecond)
	log := slog.New(b.Handler(slog.NewJSONHandler(b, nil)))
	const goroutines, lines = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range lines {
				if i%100 == 0 {
					log.Warn("line", "g", g, "i", i)
				} else {
					log.Info("line", "g", g, "i", i)
				}
			}
		})
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for l := range strings.Lines(out.String()) {
		if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}\n") || seen[l] {
			t.Fatalf("torn or repeated line %q", l)
		}
		seen[l] = true
	}
	if len(seen) != goroutines*lines {
		t.Errorf("%d lines, want %d", len(seen), goroutines*lines)
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
