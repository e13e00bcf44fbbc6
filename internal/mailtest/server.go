package mailtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Limits of the test server; generous for account mail.
const (
	ioTimeout       = 10 * time.Second
	maxMessageBytes = 10 << 20
	restartWithin   = 2 * time.Second
)

// Options configure a Server beyond the plain default.
type Options struct {
	// StartTLS offers STARTTLS with a certificate for 127.0.0.1 that only
	// RootCAs trusts.
	StartTLS bool
	// ImplicitTLS speaks TLS from the first byte (smtps); URL says smtps://.
	ImplicitTLS bool
	// Username and Password, when set, make the server offer AUTH PLAIN
	// and refuse MAIL FROM until a client logged in with them. AUTH is
	// offered over TLS only, unless InsecureAuth.
	Username, Password string
	// InsecureAuth offers AUTH on connections without TLS too.
	InsecureAuth bool
}

// Server is an SMTP server on 127.0.0.1 that records what it receives. Its
// methods are safe for concurrent use, except that WaitFor and Token fail
// the test and so belong on the test's goroutine.
type Server struct {
	opts    Options
	tls     *tls.Config // nil without TLS options
	rootCAs *x509.CertPool
	port    int
	log     *testLogger

	mu           sync.Mutex
	msgs         []Received
	changed      chan struct{} // closed and replaced when msgs grows
	authAttempts int
	srv          *smtp.Server  // nil while stopped
	ln           net.Listener  // srv's
	served       chan struct{} // closed when srv's Serve returned
}

// Start starts a plain server (no TLS, no AUTH) on 127.0.0.1 and a free
// port; the test's cleanup stops it.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith starts a server with opts; see Start.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts, changed: make(chan struct{}), log: &testLogger{t: t}}
	if opts.StartTLS || opts.ImplicitTLS {
		cfg, pool, err := selfSigned()
		if err != nil {
			t.Fatalf("mailtest: %v", err)
		}
		s.tls, s.rootCAs = cfg, pool
	}
	port, err := s.listen(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	s.port = port
	t.Cleanup(func() {
		s.Stop()
		s.log.close()
	})
	return s
}

// URL is the server's address as MAIL_URL: smtp://127.0.0.1:<port>, or
// smtps:// with ImplicitTLS. It carries no user: add Options' credentials
// yourself.
func (s *Server) URL() string {
	scheme := "smtp"
	if s.opts.ImplicitTLS {
		scheme = "smtps"
	}
	return scheme + "://" + s.addr()
}

// RootCAs is the pool that trusts the server's certificate (nil without
// TLS options).
func (s *Server) RootCAs() *x509.CertPool { return s.rootCAs }

// AuthAttempts counts AUTH PLAIN logins tried, good or bad.
func (s *Server) AuthAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authAttempts
}

func (s *Server) addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// listen starts serving on addr and returns the port. ctx bounds only the
// call, not the listener's life.
func (s *Server) listen(ctx context.Context, addr string) (int, error) {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", addr)
	if err != nil {
		return 0, fmt.Errorf("listen on %s: %w", addr, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if s.opts.ImplicitTLS {
		ln = tls.NewListener(ln, s.tls)
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = ioTimeout, ioTimeout
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = 50
	srv.AllowInsecureAuth = s.opts.InsecureAuth
	srv.ErrorLog = s.log
	if s.opts.StartTLS {
		srv.TLSConfig = s.tls
	}
	served := make(chan struct{})
	s.mu.Lock()
	s.srv, s.ln, s.served = srv, ln, served
	s.mu.Unlock()
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil {
			s.log.Printf("serve: %v", err)
		}
	}()
	return port, nil
}

// Stop closes the listener and every open connection, and returns once the
// server stopped accepting: from then on dials are refused. Stopping a
// stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln, served := s.srv, s.ln, s.served
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	if err := srv.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		s.log.Printf("close: %v", err)
	}
	// srv.Close closes only the listeners Serve has registered, which it
	// may not have done yet when Stop follows Start at once.
	if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		s.log.Printf("close listener: %v", err)
	}
	<-served
}

// Restart stops the server if it runs and listens again on the same port,
// retrying for up to 2 seconds while the port is briefly busy. Received
// messages are kept.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	deadline := time.Now().Add(restartWithin)
	for {
		_, err := s.listen(t.Context(), s.addr())
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailtest: restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Messages returns every message received so far, in order of arrival.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// WaitFor waits until at least n messages to the address to (compared
// without regard to case) have arrived, and returns all messages to it. It
// fails the test, listing what did arrive, when timeout passes first.
func (s *Server) WaitFor(t testing.TB, to string, n int, timeout time.Duration) []Received {
	t.Helper()
	want := bareAddress(to)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		got, changed := s.sentTo(want), s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("mailtest: want %d messages to %s within %v, got %d; all received:\n%s",
				n, want, timeout, len(got), summary(s.Messages()))
			return nil
		}
	}
}

// sentTo returns the messages with addr among their recipients. s.mu is held.
func (s *Server) sentTo(addr string) []Received {
	var out []Received
	for _, m := range s.msgs {
		for _, rcpt := range m.To {
			if strings.EqualFold(bareAddress(rcpt), addr) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// add records a received message and wakes the waiters.
func (s *Server) add(m Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

// bareAddress is the address in "Name <a@b>", "<a@b>" or "a@b".
func bareAddress(s string) string {
	if a, err := netmail.ParseAddress(s); err == nil {
		return a.Address
	}
	return strings.Trim(strings.TrimSpace(s), "<>")
}

// summary lists messages one per line, for failure output.
func summary(msgs []Received) string {
	if len(msgs) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for i, m := range msgs {
		fmt.Fprintf(&b, "  %d. to %s: %q (Message-ID %s)\n", i+1, strings.Join(m.To, ", "), m.Subject, m.MessageID)
	}
	return b.String()
}

// testLogger sends go-smtp's error log to t.Logf until the test's cleanup
// ran: connection goroutines may outlive Stop by a moment, and logging
// after a test completed panics.
type testLogger struct {
	t      testing.TB
	mu     sync.Mutex
	closed bool
}

func (l *testLogger) Printf(format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.t.Logf("mailtest: "+format, v...)
	}
}

func (l *testLogger) Println(v ...any) {
	l.Printf("%s", strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}

func (l *testLogger) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
}
