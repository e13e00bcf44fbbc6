package mail_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/mail"
	"github.com/tenantkit/tenantkit/internal/mailtest"
)

// A relay that is down fails the send at once; once it is back, the same
// Sender delivers (the job's retry).
func TestSendWhileServerDown(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, srv.URL())
	m := mail.Message{To: "a@example.com", Subject: "s", Text: "t", ID: "job-9@localhost"}

	srv.Stop()
	start := time.Now()
	if err := s.Send(t.Context(), m); err == nil {
		t.Fatal("Send succeeded while the server is down")
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("refused send took %v", elapsed)
	}

	srv.Restart(t)
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatalf("Send after restart: %v", err)
	}
	if got := srv.WaitFor(t, "a@example.com", 1, 5*time.Second)[0]; got.MessageID != "job-9@localhost" {
		t.Errorf("Message-ID = %q", got.MessageID)
	}
}

// stalledServer accepts connections and, if greet, sends the SMTP greeting;
// then it never answers. It returns its smtp:// URL.
func stalledServer(t *testing.T, greet bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close() // in case the client left it open
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			wg.Go(func() {
				defer conn.Close()
				if greet {
					fmt.Fprint(conn, "220 stalled ESMTP\r\n")
				}
				_, _ = io.Copy(io.Discard, conn) // until the client hangs up
			})
		}
	})
	return "smtp://" + ln.Addr().String()
}

func TestSendEndsWithContext(t *testing.T) {
	for _, greet := range []bool{false, true} {
		t.Run(fmt.Sprintf("greeting %v", greet), func(t *testing.T) {
			s := newSender(t, stalledServer(t, greet))
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := s.Send(ctx, mail.Message{To: "a@example.com", Subject: "s", Text: "t"})
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Send returned after %v, want soon after the 200ms deadline", elapsed)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Send: %v, want context.DeadlineExceeded", err)
			}
		})
	}
	t.Run("cancelled before", func(t *testing.T) {
		srv := mailtest.Start(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := newSender(t, srv.URL()).Send(ctx, mail.Message{To: "a@example.com", Subject: "s", Text: "t"})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Send: %v, want context.Canceled", err)
		}
		if len(srv.Messages()) != 0 {
			t.Error("server received a message")
		}
	})
}

func TestSendTimesOutWithoutContextDeadline(t *testing.T) {
	s := newSender(t, stalledServer(t, true))
	mail.SetTimeout(s, 300*time.Millisecond)
	start := time.Now()
	err := s.Send(t.Context(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"})
	if err == nil {
		t.Fatal("Send succeeded against a silent server")
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Send returned after %v, want soon after the 300ms I/O timeout", elapsed)
	}
}
