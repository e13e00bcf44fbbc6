package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/mail"
)

// The lifetime a mail states is the one identity gives its token: the two
// live in different packages, and this keeps them in step.
func TestMailStatesTokenLifetimes(t *testing.T) {
	r, err := mail.NewRenderer("tenantkit", "http://localhost:8080")
	if err != nil {
		t.Fatal(err)
	}
	human := func(d time.Duration) string {
		if d%time.Hour == 0 {
			return fmt.Sprintf("%d hours", d/time.Hour)
		}
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	for kind, ttl := range map[mail.Kind]time.Duration{
		mail.KindVerifyEmail:   identity.VerifyEmailTTL,
		mail.KindPasswordReset: identity.PasswordResetTTL,
		mail.KindEmailChange:   identity.EmailChangeTTL,
	} {
		n := mail.Notice{Kind: kind, To: "a@example.com", Token: strings.Repeat("A", 43)}
		if kind == mail.KindEmailChange {
			n.NewEmail = n.To
		}
		m, err := r.Render(n)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if want := human(ttl); !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("%s mail does not say %q:\n%s", kind, want, m.Text)
		}
	}
}
