package mailtest_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/mailtest"
)

// alternative is a hand-made multipart/alternative message: a
// quoted-printable text part and a base64 HTML part, as go-mail writes them.
const alternative = "From: Sender <sender@example.com>\r\n" +
	"To: alice@example.com\r\n" +
	"Subject: =?UTF-8?q?Gr=C3=BC=C3=9Fe?=\r\n" +
	"Message-ID: <job-1@example.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=\"b1\"\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Open this link:\r\n\r\n" +
	"https://app.example.com/verify-email?token=3Dabc=\r\n" +
	"DEF\r\n" +
	"--b1\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+PGEgaHJlZj0iaHR0cHM6Ly9hcHAuZXhhbXBsZS5jb20vdmVyaWZ5LWVtYWlsP3Rva2VuPWFi\r\n" +
	"Y0RFRiI+T3BlbjwvYT48L3A+\r\n" +
	"--b1--\r\n"

func TestReceivesWhatNetSMTPSends(t *testing.T) {
	s := mailtest.Start(t)
	addr := strings.TrimPrefix(s.URL(), "smtp://")
	if err := smtp.SendMail(addr, nil, "sender@example.com", []string{"Alice@Example.com", "bob@example.com"}, []byte(alternative)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}

	got := s.WaitFor(t, "alice@example.com", 1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("WaitFor returned %d messages, want 1", len(got))
	}
	m := got[0]
	if diff := cmp.Diff([]string{"Alice@Example.com", "bob@example.com"}, m.To); diff != "" {
		t.Errorf("To (-want +got):\n%s", diff)
	}
	checks := []struct{ name, got, want string }{
		{"From", m.From, "sender@example.com"},
		{"MessageID", m.MessageID, "job-1@example.com"},
		{"Subject", m.Subject, "Grüße"},
		{"Text", m.Text, "Open this link:\r\n\r\nhttps://app.example.com/verify-email?token=abcDEF"},
		{"HTML", m.HTML, `<p><a href="https://app.example.com/verify-email?token=abcDEF">Open</a></p>`},
		{"Header To", m.Header.Get("To"), "alice@example.com"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if diff := cmp.Diff([]string{"text/plain", "text/html"}, m.Parts); diff != "" {
		t.Errorf("Parts (-want +got):\n%s", diff)
	}
	if got := mailtest.Token(t, m, "verify-email"); got != "abcDEF" {
		t.Errorf("Token = %q, want %q", got, "abcDEF")
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("Messages() has %d, want 1 (one message, two recipients)", n)
	}
}

func TestStopRefusesAndRestartReceivesAgain(t *testing.T) {
	s := mailtest.Start(t)
	addr := strings.TrimPrefix(s.URL(), "smtp://")
	send := func() error {
		return smtp.SendMail(addr, nil, "sender@example.com", []string{"alice@example.com"}, []byte(alternative))
	}
	if err := send(); err != nil {
		t.Fatalf("send before Stop: %v", err)
	}

	s.Stop()
	s.Stop() // idempotent
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		conn.Close()
		t.Fatal("dial after Stop succeeded, want refused")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after Stop: %v, want connection refused", err)
	}

	s.Restart(t)
	if got := s.URL(); got != "smtp://"+addr {
		t.Errorf("URL after Restart = %s, want the same port: smtp://%s", got, addr)
	}
	if err := send(); err != nil {
		t.Fatalf("send after Restart: %v", err)
	}
	if got := s.WaitFor(t, "alice@example.com", 2, 5*time.Second); len(got) != 2 {
		t.Errorf("after Restart: %d messages, want 2 (kept across the restart)", len(got))
	}
}

func TestWaitForBlocksUntilArrival(t *testing.T) {
	s := mailtest.Start(t)
	addr := strings.TrimPrefix(s.URL(), "smtp://")
	errc := make(chan error, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		errc <- smtp.SendMail(addr, nil, "sender@example.com", []string{"late@example.com"}, []byte(alternative))
	}()
	if got := s.WaitFor(t, "LATE@example.com", 1, 5*time.Second); len(got) != 1 {
		t.Errorf("WaitFor: %d messages, want 1", len(got))
	}
	if err := <-errc; err != nil {
		t.Fatalf("SendMail: %v", err)
	}
}

func TestRefusesMessagesThatDoNotDecode(t *testing.T) {
	tests := []struct {
		name, msg string
	}{
		{"unknown charset", "Subject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nhi\r\n"},
		{"unknown transfer encoding", "Subject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nhi\r\n"},
		{"bad content type", "Subject: x\r\nContent-Type: text/\r\n\r\nhi\r\n"},
		{"two text parts", "Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\n"},
	}
	s := mailtest.Start(t)
	addr := strings.TrimPrefix(s.URL(), "smtp://")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := smtp.SendMail(addr, nil, "sender@example.com", []string{"alice@example.com"}, []byte(tt.msg))
			if err == nil || !strings.Contains(err.Error(), "554") {
				t.Errorf("SendMail: %v, want a 554 refusal", err)
			}
		})
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("recorded %d refused messages, want 0", n)
	}
}

func TestAuthRequired(t *testing.T) {
	s := mailtest.StartWith(t, mailtest.Options{Username: "u", Password: "secret", InsecureAuth: true})
	addr := strings.TrimPrefix(s.URL(), "smtp://")
	msg := []byte(alternative)

	err := smtp.SendMail(addr, nil, "sender@example.com", []string{"alice@example.com"}, msg)
	if err == nil {
		t.Fatal("send without AUTH succeeded, want refused")
	}
	// net/smtp's PlainAuth sends only over TLS or to localhost; the test
	// server's name is 127.0.0.1, so wrap it to allow the clear channel.
	bad := plainOnLoopback{smtp.PlainAuth("", "u", "wrong", "127.0.0.1")}
	if err := smtp.SendMail(addr, bad, "sender@example.com", []string{"alice@example.com"}, msg); err == nil {
		t.Fatal("send with a wrong password succeeded")
	}
	good := plainOnLoopback{smtp.PlainAuth("", "u", "secret", "127.0.0.1")}
	if err := smtp.SendMail(addr, good, "sender@example.com", []string{"alice@example.com"}, msg); err != nil {
		t.Fatalf("send with the password: %v", err)
	}
	if n := s.AuthAttempts(); n != 2 {
		t.Errorf("AuthAttempts = %d, want 2", n)
	}
	s.WaitFor(t, "alice@example.com", 1, 5*time.Second)
}

// plainOnLoopback lets net/smtp's PLAIN run without TLS, as it does for
// "localhost".
type plainOnLoopback struct{ smtp.Auth }

func (a plainOnLoopback) Start(si *smtp.ServerInfo) (string, []byte, error) {
	si.TLS = true
	return a.Auth.Start(si)
}

// fatalTB records a Fatalf and ends its goroutine, as testing does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fatal runs fn with a fatalTB and returns what it failed with ("" if not).
func fatal(t *testing.T, fn func(testing.TB)) string {
	t.Helper()
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f.msg
}

func TestWaitForFailsListingWhatArrived(t *testing.T) {
	s := mailtest.Start(t)
	addr := strings.TrimPrefix(s.URL(), "smtp://")
	if err := smtp.SendMail(addr, nil, "sender@example.com", []string{"bob@example.com"}, []byte(alternative)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	s.WaitFor(t, "bob@example.com", 1, 5*time.Second)

	start := time.Now()
	msg := fatal(t, func(tb testing.TB) { s.WaitFor(tb, "alice@example.com", 1, 200*time.Millisecond) })
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("WaitFor took %v to time out after 200ms", elapsed)
	}
	for _, want := range []string{"alice@example.com", "got 0", "bob@example.com", "Grüße"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure %q does not mention %q", msg, want)
		}
	}
}

func TestTLSOptions(t *testing.T) {
	tests := []struct {
		name string
		opts mailtest.Options
		dial func(s *mailtest.Server, addr string) (*smtp.Client, error)
	}{
		{
			name: "implicit TLS",
			opts: mailtest.Options{ImplicitTLS: true},
			dial: func(s *mailtest.Server, addr string) (*smtp.Client, error) {
				conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: s.RootCAs(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
				if err != nil {
					return nil, err
				}
				return smtp.NewClient(conn, "127.0.0.1")
			},
		},
		{
			name: "STARTTLS",
			opts: mailtest.Options{StartTLS: true},
			dial: func(s *mailtest.Server, addr string) (*smtp.Client, error) {
				c, err := smtp.Dial(addr)
				if err != nil {
					return nil, err
				}
				if ok, _ := c.Extension("STARTTLS"); !ok {
					c.Close()
					return nil, errors.New("no STARTTLS offered")
				}
				if err := c.StartTLS(&tls.Config{RootCAs: s.RootCAs(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}); err != nil {
					c.Close()
					return nil, err
				}
				return c, nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mailtest.StartWith(t, tt.opts)
			_, addr, _ := strings.Cut(s.URL(), "://")
			c, err := tt.dial(s, addr)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.Close()
			if err := c.Mail("sender@example.com"); err != nil {
				t.Fatalf("MAIL: %v", err)
			}
			if err := c.Rcpt("alice@example.com"); err != nil {
				t.Fatalf("RCPT: %v", err)
			}
			w, err := c.Data()
			if err != nil {
				t.Fatalf("DATA: %v", err)
			}
			if _, err := w.Write([]byte(alternative)); err != nil {
				t.Fatalf("write: %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("end of data: %v", err)
			}
			if err := c.Quit(); err != nil {
				t.Fatalf("QUIT: %v", err)
			}
			if m := s.WaitFor(t, "alice@example.com", 1, 5*time.Second)[0]; !m.TLS {
				t.Error("Received.TLS = false, want true")
			}
		})
	}
	if got := mailtest.StartWith(t, mailtest.Options{ImplicitTLS: true}).URL(); !strings.HasPrefix(got, "smtps://127.0.0.1:") {
		t.Errorf("URL with ImplicitTLS = %s, want smtps://127.0.0.1:<port>", got)
	}
}
