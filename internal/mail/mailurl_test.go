package mail_test

import (
	"strings"
	"testing"

	gomail "github.com/wneessen/go-mail"

	"github.com/tenantkit/tenantkit/internal/mail"
)

const from = "tenantkit <no-reply@localhost>"

func TestNewSenderAcceptsURLs(t *testing.T) {
	for _, raw := range []string{
		"smtp://127.0.0.1:1025",
		"smtp://mailpit:1025",
		"smtp://smtp.example.com",
		"smtp://smtp.example.com/",
		"smtps://smtp.example.com",
		"smtps://smtp.example.com:2465",
		"smtp://user:p%40ss%2Fw0rd@smtp.example.com:587",
		"smtps://apikey:s3cret@smtp.example.com",
		"smtp://[::1]:25",
	} {
		if _, err := mail.NewSender(raw, from); err != nil {
			t.Errorf("NewSender(%q): %v", raw, err)
		}
	}
}

func TestNewSenderRefusesURLs(t *testing.T) {
	const password = "hunter2secret"
	tests := []struct {
		name, raw, want string
	}{
		{"empty", "", "MAIL_URL is empty"},
		{"http", "http://" + "u:" + password + "@smtp.example.com", "scheme"},
		{"no scheme", "smtp.example.com:587", "MAIL_URL"},
		{"opaque", "smtp:smtp.example.com", "smtp://host"},
		{"no host", "smtp://:25", "host is missing"},
		{"only user info", "smtp://u:" + password + "@", "host is missing"},
		{"port 0", "smtp://smtp.example.com:0", "port"},
		{"port too big", "smtp://smtp.example.com:70000", "port"},
		{"port not a number", "smtp://u:" + password + "@smtp.example.com:x25", "MAIL_URL"},
		{"path", "smtp://smtp.example.com/inbox", "no path"},
		{"query", "smtp://u:" + password + "@smtp.example.com?tls=1", "the only query"},
		{"plain with a password", "smtp://u:" + password + "@smtp.example.com?disable_starttls=true", "credentials only travel over TLS"},
		{"plain smtps", "smtps://smtp.example.com?disable_starttls=true", "for smtp://"},
		{"fragment", "smtp://smtp.example.com#x", "fragment"},
		{"user without password", "smtp://user@smtp.example.com", "without a password"},
		{"empty password", "smtp://user:@smtp.example.com", "without a password"},
		{"empty user", "smtp://:" + password + "@smtp.example.com", "user is empty"},
		// A / in the password ends the authority: the rest of the password
		// would show up in url.Parse's error as a "port".
		{"unescaped slash in password", "smtp://u:" + password + "/x@smtp.example.com", "percent-encode"},
		{"bad escape in password", "smtp://u:" + password + "%zz@smtp.example.com", "not a valid URL"},
		{"control character", "smtp://u:" + password + "@smtp.example.com\n", "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mail.NewSender(tt.raw, from)
			if err == nil {
				t.Fatalf("NewSender(%q) succeeded", tt.raw)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "MAIL_URL") {
				t.Errorf("error %q, want it to name MAIL_URL and mention %q", msg, tt.want)
			}
			if strings.Contains(msg, password) || strings.Contains(msg, "hunter") {
				t.Errorf("error %q echoes the password", msg)
			}
		})
	}
}

func TestNewSenderChecksFrom(t *testing.T) {
	good := []string{"no-reply@example.com", "Acme <no-reply@example.com>", `"Acme, Inc." <no-reply@example.com>`, "Ünïcode <a@example.com>"}
	for _, f := range good {
		if _, err := mail.NewSender("smtp://127.0.0.1:1025", f); err != nil {
			t.Errorf("NewSender(from %q): %v", f, err)
		}
	}
	bad := []string{"", "no-reply", "Acme", "a@b, c@d", "Acme <no-reply@example.com", "a@example.com\r\nBcc: x@y.z"}
	for _, f := range bad {
		_, err := mail.NewSender("smtp://127.0.0.1:1025", f)
		if err == nil || !strings.Contains(err.Error(), "MAIL_FROM") {
			t.Errorf("NewSender(from %q): %v, want an error naming MAIL_FROM", f, err)
		}
	}
}

func TestMessageID(t *testing.T) {
	s, err := mail.NewSender("smtp://127.0.0.1:1025", "Acme <no-reply@mail.example.com>")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ key, want string }{
		{"job-42", "job-42@mail.example.com"},
		{"river.42.verify_email", "river.42.verify_email@mail.example.com"},
		{"a b<c>@d", "a-b-c--d@mail.example.com"},
		{".x.", "-x-@mail.example.com"},
		{"a..b", "a--b@mail.example.com"},
		{"", "-@mail.example.com"},
	}
	for _, tt := range tests {
		if got := s.MessageID(tt.key); got != tt.want {
			t.Errorf("MessageID(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestMailURLStartTLSPolicy(t *testing.T) {
	tests := []struct {
		url  string
		want gomail.TLSPolicy
	}{
		{"smtp://smtp.example.com", gomail.TLSMandatory},
		{"smtp://u:p@smtp.example.com:2525", gomail.TLSMandatory},
		{"smtp://10.0.0.5:25", gomail.TLSMandatory},
		{"smtp://127.0.0.1:1025", gomail.TLSOpportunistic},
		{"smtp://[::1]:1025", gomail.TLSOpportunistic},
		{"smtp://localhost:1025", gomail.TLSOpportunistic},
		{"smtp://mailpit:1025?disable_starttls=true", gomail.NoTLS},
		{"smtps://u:p@smtp.example.com", gomail.TLSOpportunistic},
	}
	for _, tt := range tests {
		got, err := mail.StartTLSPolicy(tt.url)
		if err != nil || got != tt.want {
			t.Errorf("StartTLSPolicy(%q) = %v, %v; want %v", tt.url, got, err, tt.want)
		}
	}
}
