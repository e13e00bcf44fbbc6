package mail_test

import (
	"fmt"
	netmail "net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/mail"
	"github.com/tenantkit/tenantkit/internal/mailtest"
)

func newSender(t *testing.T, rawURL string) *mail.Sender {
	t.Helper()
	s, err := mail.NewSender(rawURL, from)
	if err != nil {
		t.Fatalf("NewSender: %v", err)
	}
	return s
}

// crlf normalises line ends: SMTP carries CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

func TestSendDeliversMultipartAlternative(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, srv.URL())
	m := mail.Message{
		To:      "alice@example.com",
		Subject: "Grüße from Acme",
		Text:    "Hi Alice,\n\nhttps://app.example.com/verify-email?token=abc\n" + strings.Repeat("long line ", 20) + "\n",
		HTML:    `<p>Hi Alice,</p><p><a href="https://app.example.com/verify-email?token=abc">link</a></p>`,
		ID:      "job-7.verify_email@localhost",
	}
	before := time.Now().Add(-time.Second)
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}

	got := srv.WaitFor(t, "alice@example.com", 1, 5*time.Second)[0]
	if got.From != "no-reply@localhost" {
		t.Errorf("envelope From = %q, want no-reply@localhost", got.From)
	}
	if diff := cmp.Diff([]string{"alice@example.com"}, got.To); diff != "" {
		t.Errorf("envelope To (-want +got):\n%s", diff)
	}
	if got.MessageID != m.ID {
		t.Errorf("Message-ID = %q, want %q", got.MessageID, m.ID)
	}
	if got.Subject != m.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject, m.Subject)
	}
	if crlf(got.Text) != crlf(m.Text) {
		t.Errorf("text part = %q, want %q", got.Text, m.Text)
	}
	if crlf(got.HTML) != m.HTML {
		t.Errorf("HTML part = %q, want %q", got.HTML, m.HTML)
	}
	if diff := cmp.Diff([]string{"text/plain", "text/html"}, got.Parts); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
	if mt := got.Header.Get("Content-Type"); !strings.HasPrefix(mt, "multipart/alternative;") {
		t.Errorf("Content-Type = %q, want multipart/alternative", mt)
	}
	if f, err := got.Header.AddressList("From"); err != nil || len(f) != 1 || f[0].Name != "tenantkit" || f[0].Address != "no-reply@localhost" {
		t.Errorf("From header = %q (%v), want tenantkit <no-reply@localhost>", got.Header.Get("From"), err)
	}
	if to, err := got.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "alice@example.com" {
		t.Errorf("To header = %q (%v), want alice@example.com", got.Header.Get("To"), err)
	}
	if date, err := got.Header.Date(); err != nil || date.Before(before) || date.After(time.Now().Add(time.Second)) {
		t.Errorf("Date header = %q (%v), want about now", got.Header.Get("Date"), err)
	}
	if v := got.Header.Get("Auto-Submitted"); v != "auto-generated" {
		t.Errorf("Auto-Submitted = %q, want auto-generated", v)
	}
	for _, h := range []string{"X-Mailer", "User-Agent", "Bcc"} {
		if v := got.Header.Get(h); v != "" {
			t.Errorf("%s header = %q, want none", h, v)
		}
	}
	if got.TLS || got.AuthUser != "" {
		t.Errorf("TLS %v, AUTH %q; want neither with a plain server", got.TLS, got.AuthUser)
	}
}

func TestSendTextOnlyAndDefaultMessageID(t *testing.T) {
	srv := mailtest.Start(t)
	if err := newSender(t, srv.URL()).Send(t.Context(), mail.Message{To: "bob@example.com", Subject: "s", Text: "only text"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(t, "bob@example.com", 1, 5*time.Second)[0]
	if strings.TrimSuffix(got.Text, "\r\n") != "only text" || got.HTML != "" {
		t.Errorf("text %q, HTML %q; want only the text", got.Text, got.HTML)
	}
	if left, domain, ok := strings.Cut(got.MessageID, "@"); !ok || len(left) < 20 || domain != "localhost" {
		t.Errorf("Message-ID = %q, want a random left part @ MAIL_FROM's domain", got.MessageID)
	}
}

// A rendered mail, sent and received, yields its token through the link.
func TestRenderSendFollowLink(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, srv.URL())
	tests := []struct {
		kind mail.Kind
		path string
	}{
		{mail.KindVerifyEmail, "verify-email"},
		{mail.KindPasswordReset, "reset-password"},
		{mail.KindEmailChange, "confirm-email"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			n := notice(tt.kind)
			n.To = string(tt.kind) + "@example.com"
			n.NewEmail = ""
			n.Token = "Zm9v_YmFy-" + string(tt.kind)
			m, err := newRenderer(t).Render(n)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			m.ID = s.MessageID("job-1." + string(tt.kind))
			if err := s.Send(t.Context(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.WaitFor(t, n.To, 1, 5*time.Second)[0]
			if tok := mailtest.Token(t, got, tt.path); tok != n.Token {
				t.Errorf("token from the received mail = %q, want %q", tok, n.Token)
			}
			if got.Subject != m.Subject {
				t.Errorf("Subject = %q, want %q", got.Subject, m.Subject)
			}
		})
	}
}

func TestSendOverTLS(t *testing.T) {
	tests := []struct {
		name     string
		opts     mailtest.Options
		userinfo string
		wantUser string
	}{
		{"STARTTLS when offered", mailtest.Options{StartTLS: true}, "", ""},
		{"STARTTLS with AUTH", mailtest.Options{StartTLS: true, Username: "relay", Password: "pa:ss/w@rd"}, "relay:" + url.QueryEscape("pa:ss/w@rd"), "relay"},
		{"implicit TLS", mailtest.Options{ImplicitTLS: true}, "", ""},
		{"implicit TLS with AUTH", mailtest.Options{ImplicitTLS: true, Username: "relay", Password: "s3cret"}, "relay:s3cret", "relay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.StartWith(t, tt.opts)
			raw := srv.URL()
			if tt.userinfo != "" {
				scheme, rest, _ := strings.Cut(raw, "://")
				raw = scheme + "://" + tt.userinfo + "@" + rest
			}
			s := newSender(t, raw)
			mail.SetRootCAs(s, srv.RootCAs())
			if err := s.Send(t.Context(), mail.Message{To: "alice@example.com", Subject: "s", Text: "t", HTML: "<p>h</p>"}); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.WaitFor(t, "alice@example.com", 1, 5*time.Second)[0]
			if !got.TLS {
				t.Error("message came without TLS")
			}
			if got.AuthUser != tt.wantUser {
				t.Errorf("AUTH as %q, want %q", got.AuthUser, tt.wantUser)
			}
		})
	}
}

// Opportunistic TLS does not fall back to plain text when the handshake
// fails: a server that offers STARTTLS with a certificate we do not trust
// gets nothing.
func TestSendRefusesUntrustedCertificate(t *testing.T) {
	for _, opts := range []mailtest.Options{{StartTLS: true}, {ImplicitTLS: true}} {
		srv := mailtest.StartWith(t, opts)
		err := newSender(t, srv.URL()).Send(t.Context(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"})
		if err == nil {
			t.Errorf("%s: Send succeeded with an untrusted certificate", srv.URL())
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("%s: server received %d messages", srv.URL(), n)
		}
	}
}

// Without TLS the password never goes over the wire: a server that offers
// only PLAIN on a clear connection gets no AUTH attempt, and no mail.
func TestSendNeverSendsPasswordInTheClear(t *testing.T) {
	srv := mailtest.StartWith(t, mailtest.Options{Username: "relay", Password: "s3cret", InsecureAuth: true})
	s := newSender(t, strings.Replace(srv.URL(), "smtp://", "smtp://relay:s3cret@", 1))
	err := s.Send(t.Context(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"})
	if err == nil {
		t.Fatal("Send succeeded")
	}
	if n := srv.AuthAttempts(); n != 0 {
		t.Errorf("server saw %d AUTH attempts, want 0", n)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %q echoes the password", err)
	}
}

func TestSendWrongPassword(t *testing.T) {
	srv := mailtest.StartWith(t, mailtest.Options{ImplicitTLS: true, Username: "relay", Password: "right"})
	s := newSender(t, strings.Replace(srv.URL(), "smtps://", "smtps://relay:wr0ngpass@", 1))
	mail.SetRootCAs(s, srv.RootCAs())
	err := s.Send(t.Context(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"})
	if err == nil {
		t.Fatal("Send succeeded with a wrong password")
	}
	if strings.Contains(err.Error(), "wr0ngpass") {
		t.Errorf("error %q echoes the password", err)
	}
	if len(srv.Messages()) != 0 {
		t.Error("server received a message")
	}
}

func TestSendRefusesBadMessages(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, srv.URL())
	good := mail.Message{To: "a@example.com", Subject: "s", Text: "t", ID: "x@localhost"}
	tests := []struct {
		name   string
		modify func(*mail.Message)
	}{
		{"no recipient", func(m *mail.Message) { m.To = "" }},
		{"bad recipient", func(m *mail.Message) { m.To = "not an address" }},
		{"no subject", func(m *mail.Message) { m.Subject = "" }},
		{"subject with a line break", func(m *mail.Message) { m.Subject = "s\r\nBcc: x@example.com" }},
		{"no text", func(m *mail.Message) { m.Text = "" }},
		{"id with brackets", func(m *mail.Message) { m.ID = "<x@localhost>" }},
		{"id without domain", func(m *mail.Message) { m.ID = "x" }},
		{"id with space", func(m *mail.Message) { m.ID = "a b@localhost" }},
		{"id with line break", func(m *mail.Message) { m.ID = "a@localhost\r\nBcc: x@example.com" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good
			tt.modify(&m)
			if err := s.Send(t.Context(), m); err == nil {
				t.Error("Send succeeded")
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server received %d messages, want 0", n)
	}
	if err := s.Send(t.Context(), good); err != nil {
		t.Errorf("Send(good): %v", err)
	}
}

func TestSendConcurrently(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, srv.URL())
	const n = 10
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- s.Send(t.Context(), mail.Message{To: "many@example.com", Subject: fmt.Sprint("s", i), Text: "t", ID: s.MessageID(fmt.Sprint("job-", i))})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("Send: %v", err)
		}
	}
	got := srv.WaitFor(t, "MANY@example.com", n, 5*time.Second)
	ids := map[string]bool{}
	for _, m := range got {
		ids[m.MessageID] = true
	}
	if len(ids) != n {
		t.Errorf("%d distinct Message-IDs, want %d", len(ids), n)
	}
}

// The From header is what MAIL_FROM says, display name included.
func TestSendFromHeader(t *testing.T) {
	srv := mailtest.Start(t)
	s, err := mail.NewSender(srv.URL(), `"Acme, Inc." <no-reply@acme.example>`)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(t.Context(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(t, "a@example.com", 1, 5*time.Second)[0]
	addr, err := netmail.ParseAddress(got.Header.Get("From"))
	if err != nil || addr.Name != "Acme, Inc." || addr.Address != "no-reply@acme.example" {
		t.Errorf("From = %q (%v)", got.Header.Get("From"), err)
	}
	if got.From != "no-reply@acme.example" {
		t.Errorf("envelope From = %q", got.From)
	}
}
