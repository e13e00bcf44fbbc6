package observe

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// LogBuffer is the writer under the server's JSON log: it collects lines
// and writes them to the underlying writer in batches, so a busy server
// does not make one write system call per request. It writes when its
// buffer is full, every interval (from a goroutine of its own), on Flush
// and on Close. It is safe for concurrent use.
//
// A line is lost only with the process: a crash loses at most one
// interval of lines (Handler flushes warnings and errors at once).
type LogBuffer struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	closed bool

	stop chan struct{}
	done chan struct{}
}

// NewLogBuffer returns a LogBuffer of size bytes on w that flushes at
// least every interval. Close it to flush and stop its goroutine.
func NewLogBuffer(w io.Writer, size int, interval time.Duration) *LogBuffer {
	b := &LogBuffer{w: w, buf: make([]byte, 0, size), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushEvery(interval)
	return b
}

func (b *LogBuffer) flushEvery(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = b.Flush() // nowhere to report it: the log is what failed
		case <-b.stop:
			return
		}
	}
}

// Write buffers p, writing the buffer out first when p does not fit. A p
// larger than the whole buffer is written straight through. After Close
// every Write goes straight through.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.w.Write(p)
	}
	if len(b.buf)+len(p) > cap(b.buf) {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > cap(b.buf) {
			return b.w.Write(p)
		}
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush writes out what is buffered.
func (b *LogBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

// flushLocked writes the buffer out and empties it, also when the write
// fails: a log line that could not be written is dropped, as it would be
// unbuffered, rather than making every later write fail.
func (b *LogBuffer) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// Close stops the flushing goroutine and flushes. Writes after it go
// straight to the underlying writer, so a goroutine that logs late loses
// nothing.
func (b *LogBuffer) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	err := b.flushLocked()
	b.mu.Unlock()
	close(b.stop)
	<-b.done
	return err
}

// Handler wraps h, whose output is b, so that a record at level warn or
// above is written out at once (with everything buffered before it)
// rather than up to an interval later.
func (b *LogBuffer) Handler(h slog.Handler) slog.Handler {
	return flushingHandler{Handler: h, buf: b}
}

type flushingHandler struct {
	slog.Handler
	buf *LogBuffer
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.buf.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{Handler: h.Handler.WithAttrs(attrs), buf: h.buf}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{Handler: h.Handler.WithGroup(name), buf: h.buf}
}
