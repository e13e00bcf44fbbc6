package mailtest_test

import (
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/mailtest"
)

func TestToken(t *testing.T) {
	const link = "https://app.example.com/base/reset-password?token=T-1_x"
	tests := []struct {
		name      string
		text      string
		html      string
		path      string
		want      string // the token, or "" when Token must fail
		wantFatal string
	}{
		{
			name: "found",
			text: "Hi,\n\n" + link + "\n", html: `<a href="` + link + `">` + link + `</a>`,
			path: "reset-password", want: "T-1_x",
		},
		{
			name: "escaped ampersand in href",
			text: "https://x.test/confirm-email?a=1&token=abc\n", html: `<a href="https://x.test/confirm-email?a=1&amp;token=abc">x</a>`,
			path: "/confirm-email", want: "abc",
		},
		{
			name: "percent-encoded token",
			text: "https://x.test/verify-email?token=a%2Bb\n", html: `<a href="https://x.test/verify-email?token=a%2Bb">x</a>`,
			path: "verify-email", want: "a+b",
		},
		{
			name: "other path only",
			text: link + "\n", html: `<a href="` + link + `">x</a>`,
			path: "verify-email", wantFatal: "no link to /verify-email",
		},
		{
			name: "link without token",
			text: "https://app.example.com/reset-password\n", html: `<a href="https://app.example.com/reset-password">x</a>`,
			path: "reset-password", wantFatal: "no link",
		},
		{
			name: "HTML lacks the link",
			text: link + "\n", html: `<a href="https://app.example.com/base/reset-password?token=other">x</a>`,
			path: "reset-password", wantFatal: "HTML part",
		},
		{
			name: "two different links",
			text: link + "\n" + "https://app.example.com/reset-password?token=2\n", html: `<a href="` + link + `">x</a>`,
			path: "reset-password", wantFatal: "two different",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mailtest.Received{Subject: "s", Text: tt.text, HTML: tt.html}
			var got string
			msg := fatal(t, func(tb testing.TB) { got = mailtest.Token(tb, m, tt.path) })
			if tt.wantFatal != "" {
				if !strings.Contains(msg, tt.wantFatal) {
					t.Errorf("Token failed with %q, want it to mention %q", msg, tt.wantFatal)
				}
				return
			}
			if msg != "" {
				t.Fatalf("Token failed: %s", msg)
			}
			if got != tt.want {
				t.Errorf("Token = %q, want %q", got, tt.want)
			}
		})
	}
}
