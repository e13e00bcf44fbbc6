package mail_test

import (
	"flag"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/mail"
	"github.com/tenantkit/tenantkit/internal/mailtest"
	"github.com/tenantkit/tenantkit/web"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	baseURL = "https://app.example.com/base/"
	token   = "tok_3v8JQ-x1"
)

func newRenderer(t *testing.T) *mail.Renderer {
	t.Helper()
	r, err := mail.NewRenderer("Acme", baseURL)
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}
	return r
}

// notice is a valid Notice of kind k.
func notice(k mail.Kind) mail.Notice {
	n := mail.Notice{Kind: k, To: "alice@example.com", Name: "Alice"}
	if k.NeedsToken() {
		n.Token = token
	}
	switch k {
	case mail.KindEmailChange:
		n.To, n.NewEmail = "alice.new@example.com", "alice.new@example.com"
	case mail.KindEmailChangeNotice:
		n.NewEmail = "alice.new@example.com"
	case mail.KindInvitation:
		n.Tenant, n.Inviter, n.Role = "Globex Research", "bob@example.com", "admin"
	}
	return n
}

func TestRenderEveryKind(t *testing.T) {
	r := newRenderer(t)
	tests := []struct {
		kind    mail.Kind
		link    string // the link the mail carries
		expires string // "" when the mail states none
	}{
		{mail.KindVerifyEmail, "https://app.example.com/base/verify-email?token=" + token, "24 hours"},
		{mail.KindSignupAttempt, "https://app.example.com/base/reset-password", ""},
		{mail.KindPasswordReset, "https://app.example.com/base/reset-password?token=" + token, "30 minutes"},
		{mail.KindPasswordChanged, "https://app.example.com/base/reset-password", ""},
		{mail.KindEmailChange, "https://app.example.com/base/confirm-email?token=" + token, "24 hours"},
		{mail.KindEmailChangeNotice, "https://app.example.com/base/reset-password", ""},
		{mail.KindInvitation, "https://app.example.com/base/invitation?token=" + token, "7 days"},
	}
	if len(tests) != len(mail.Kinds()) {
		t.Fatalf("table covers %d kinds, mail.Kinds() has %d", len(tests), len(mail.Kinds()))
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			n := notice(tt.kind)
			m, err := r.Render(n)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if m.To != n.To {
				t.Errorf("To = %q, want %q", m.To, n.To)
			}
			if m.ID != "" {
				t.Errorf("ID = %q, want empty (the caller sets it per job)", m.ID)
			}
			if m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") || !strings.Contains(m.Subject, "Acme") {
				t.Errorf("Subject = %q, want one line naming the product", m.Subject)
			}
			// The text part has the bare link on a line of its own.
			if !strings.Contains("\n"+m.Text+"\n", "\n"+tt.link+"\n") {
				t.Errorf("text part lacks the link %s on its own line:\n%s", tt.link, m.Text)
			}
			if href := `href="` + strings.ReplaceAll(tt.link, "&", "&amp;") + `"`; !strings.Contains(m.HTML, href) {
				t.Errorf("HTML part lacks %s:\n%s", href, m.HTML)
			}
			if tt.kind.NeedsToken() {
				got := mailtest.Token(t, mailtest.Received{Subject: m.Subject, Text: m.Text, HTML: m.HTML}, linkPath(tt.link))
				if got != token {
					t.Errorf("token in the link = %q, want %q", got, token)
				}
			}
			// The token appears nowhere but inside the link.
			if rest := strings.ReplaceAll(m.Text+m.HTML, tt.link, ""); strings.Contains(rest, token) {
				t.Errorf("token appears outside the link")
			}
			if tt.expires != "" && (!strings.Contains(m.Text, tt.expires) || !strings.Contains(m.HTML, tt.expires)) {
				t.Errorf("mail does not say the link expires in %s", tt.expires)
			}
			for _, part := range []string{m.Text, m.HTML} {
				if !strings.Contains(part, "Hi Alice,") {
					t.Errorf("part lacks the greeting %q:\n%s", "Hi Alice,", part)
				}
				if n.NewEmail != "" && !strings.Contains(part, n.NewEmail) {
					t.Errorf("part does not name the new address %s:\n%s", n.NewEmail, part)
				}
				for _, want := range []string{n.Tenant, n.Inviter, n.Role} {
					if want != "" && !strings.Contains(part, want) {
						t.Errorf("part does not name the invitation's %q:\n%s", want, part)
					}
				}
				if strings.Contains(part, "<no value>") {
					t.Errorf("part has a missing value:\n%s", part)
				}
			}
			if strings.Contains(strings.ToLower(m.HTML), "<script") || strings.Contains(strings.ToLower(m.HTML), "style") {
				t.Errorf("HTML part has script or style:\n%s", m.HTML)
			}
			golden(t, string(tt.kind)+".golden", "Subject: "+m.Subject+"\n\n"+m.Text+"\n----- HTML -----\n"+m.HTML)
		})
	}
}

// linkPath is the last path segment of link.
func linkPath(link string) string {
	path, _, _ := strings.Cut(link, "?")
	return path[strings.LastIndex(path, "/")+1:]
}

// golden compares got with testdata/name, or writes it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/mail -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); if intended, go test ./internal/mail -update:\n%s", path, diff)
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	r := newRenderer(t)
	n := notice(mail.KindEmailChangeNotice)
	n.Name = `<script>alert("x")</script> & Co`
	n.NewEmail = "a&b@example.com"
	m, err := r.Render(n)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "a&b@") {
		t.Errorf("HTML part has unescaped input:\n%s", m.HTML)
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co", "a&amp;b@example.com"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML part lacks %s:\n%s", want, m.HTML)
		}
	}
	// The text part is text: the name as given.
	if !strings.Contains(m.Text, `Hi <script>alert("x")</script> & Co,`) {
		t.Errorf("text part does not greet with the name as given:\n%s", m.Text)
	}
}

func TestRenderInvitationEscapesHTML(t *testing.T) {
	n := notice(mail.KindInvitation)
	n.Tenant = `<b>Globex</b> & "Co"`
	n.Inviter = "a&b@example.com"
	m, err := newRenderer(t).Render(n)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if strings.Contains(m.HTML, "<b>") || strings.Contains(m.HTML, "a&b@") {
		t.Errorf("HTML part has unescaped input:\n%s", m.HTML)
	}
	for _, want := range []string{"&lt;b&gt;Globex&lt;/b&gt; &amp; &#34;Co&#34;", "a&amp;b@example.com"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML part lacks %s:\n%s", want, m.HTML)
		}
	}
	// The subject and the text part are text: the names as given.
	if want := `a&b@example.com invited you to <b>Globex</b> & "Co" on Acme`; m.Subject != want {
		t.Errorf("Subject = %q, want %q", m.Subject, want)
	}
	if want := `a&b@example.com invited you to join <b>Globex</b> & "Co" on Acme with the role admin.`; !strings.Contains(m.Text, want) {
		t.Errorf("text part lacks %q:\n%s", want, m.Text)
	}
}

func TestRenderInvitation(t *testing.T) {
	r := newRenderer(t)
	for _, role := range []string{"owner", "admin", "member", "viewer"} {
		n := notice(mail.KindInvitation)
		n.Role = role
		m, err := r.Render(n)
		if err != nil {
			t.Fatalf("Render with role %s: %v", role, err)
		}
		if want := "with the role " + role + "."; !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("role %s: a part lacks %q:\n%s\n%s", role, want, m.Text, m.HTML)
		}
	}

	// The tenant's name is trimmed, like every name, and may be as long as
	// a tenant name may be.
	n := notice(mail.KindInvitation)
	n.Tenant = "  Globex  "
	m, err := r.Render(n)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if want := "bob@example.com invited you to Globex on Acme"; m.Subject != want {
		t.Errorf("Subject = %q, want %q", m.Subject, want)
	}
	n.Tenant = strings.Repeat("é", 200)
	if _, err := r.Render(n); err != nil {
		t.Errorf("Render with a tenant name of 200 characters: %v", err)
	}

	// The invitation's own words: decline by the link, not by ignoring it.
	for _, want := range []string{
		"The link works once and expires in 7 days.",
		"If you did not expect this invitation, you can ignore this email; to turn it down, open the link and choose Decline.",
	} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("a part lacks %q:\n%s\n%s", want, m.Text, m.HTML)
		}
	}
}

func TestRenderRefusesBadInvitations(t *testing.T) {
	r := newRenderer(t)
	tests := []struct {
		name   string
		modify func(*mail.Notice)
		want   string
	}{
		{"no token", func(n *mail.Notice) { n.Token = "" }, "token is missing"},
		{"no tenant", func(n *mail.Notice) { n.Tenant = "" }, "tenant name is required"},
		{"blank tenant", func(n *mail.Notice) { n.Tenant = " \t " }, "tenant name is required"},
		// One line: nothing in the tenant's name may start a line of the
		// text part or a header.
		{"tenant with a newline", func(n *mail.Notice) { n.Tenant = "Globex\nhttps://evil.example" }, "tenant name"},
		{"tenant with a carriage return", func(n *mail.Notice) { n.Tenant = "Globex\rBcc: x@y.z" }, "tenant name"},
		{"tenant with NEL", func(n *mail.Notice) { n.Tenant = "Globex\u0085x" }, "tenant name"},
		{"tenant with line separator", func(n *mail.Notice) { n.Tenant = "Globex\u2028x" }, "tenant name"},
		{"tenant with paragraph separator", func(n *mail.Notice) { n.Tenant = "Globex\u2029x" }, "tenant name"},
		{"tenant with bidi control", func(n *mail.Notice) { n.Tenant = "Glo\u202ebex" }, "tenant name"},
		{"tenant with zero-width space", func(n *mail.Notice) { n.Tenant = "Glo\u200bbex" }, "tenant name"},
		{"tenant not UTF-8", func(n *mail.Notice) { n.Tenant = "Glo\xffbex" }, "tenant name"},
		{"tenant too long", func(n *mail.Notice) { n.Tenant = strings.Repeat("é", 201) }, "tenant name"},
		{"no inviter", func(n *mail.Notice) { n.Inviter = "" }, "inviter"},
		{"inviter with name", func(n *mail.Notice) { n.Inviter = "Bob <bob@example.com>" }, "inviter"},
		{"inviter not an address", func(n *mail.Notice) { n.Inviter = "bob" }, "inviter"},
		{"inviter with spaces", func(n *mail.Notice) { n.Inviter = "bob@example.com " }, "inviter"},
		{"inviter with header break", func(n *mail.Notice) { n.Inviter = "bob@example.com\r\nBcc: x@y.z" }, "inviter"},
		{"no role", func(n *mail.Notice) { n.Role = "" }, "role"},
		{"unknown role", func(n *mail.Notice) { n.Role = "superuser" }, "role"},
		{"role in capitals", func(n *mail.Notice) { n.Role = "Admin" }, "role"},
		{"role with a space", func(n *mail.Notice) { n.Role = "admin " }, "role"},
		{"new address", func(n *mail.Notice) { n.NewEmail = "x@example.com" }, "no new address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := notice(mail.KindInvitation)
			tt.modify(&n)
			_, err := r.Render(n)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render: %v, want an error mentioning %q", err, tt.want)
			}
		})
	}

	// The other kinds name no tenant, inviter or role.
	for _, k := range mail.Kinds() {
		if k == mail.KindInvitation {
			continue
		}
		for field, set := range map[string]func(*mail.Notice){
			"tenant":  func(n *mail.Notice) { n.Tenant = "Globex" },
			"inviter": func(n *mail.Notice) { n.Inviter = "bob@example.com" },
			"role":    func(n *mail.Notice) { n.Role = "member" },
		} {
			t.Run(string(k)+" with "+field, func(t *testing.T) {
				n := notice(k)
				set(&n)
				_, err := r.Render(n)
				if want := "names no tenant, inviter or role"; err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Render: %v, want an error mentioning %q", err, want)
				}
			})
		}
	}
}

func TestRenderWithoutName(t *testing.T) {
	n := notice(mail.KindVerifyEmail)
	n.Name = ""
	m, err := newRenderer(t).Render(n)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if !strings.HasPrefix(m.Text, "Hello,\n") || !strings.Contains(m.HTML, "<p>Hello,</p>") {
		t.Errorf("want the nameless greeting, got:\n%s\n%s", m.Text, m.HTML)
	}
}

func TestRenderRefusesBadNotices(t *testing.T) {
	r := newRenderer(t)
	tests := []struct {
		name   string
		modify func(*mail.Notice)
		want   string
	}{
		{"unknown kind", func(n *mail.Notice) { n.Kind = "welcome" }, "unknown kind"},
		{"empty kind", func(n *mail.Notice) { n.Kind = "" }, "unknown kind"},
		{"link kind without token", func(n *mail.Notice) { n.Token = "" }, "token is missing"},
		{"token with a space", func(n *mail.Notice) { n.Token = "a b" }, "printable ASCII"},
		{"token with a newline", func(n *mail.Notice) { n.Token = "a\nb" }, "printable ASCII"},
		{"token not ASCII", func(n *mail.Notice) { n.Token = "tök" }, "printable ASCII"},
		{"token too long", func(n *mail.Notice) { n.Token = strings.Repeat("a", 513) }, "printable ASCII"},
		{"no recipient", func(n *mail.Notice) { n.To = "" }, "recipient"},
		{"recipient with name", func(n *mail.Notice) { n.To = "Alice <alice@example.com>" }, "recipient"},
		{"recipient with spaces", func(n *mail.Notice) { n.To = " alice@example.com" }, "recipient"},
		{"recipient not an address", func(n *mail.Notice) { n.To = "alice" }, "recipient"},
		{"recipient with header break", func(n *mail.Notice) { n.To = "alice@example.com\r\nBcc: x@y.z" }, "recipient"},
		{"name with a newline", func(n *mail.Notice) { n.Name = "Al\nice" }, "name"},
		{"name with bidi control", func(n *mail.Notice) { n.Name = "Al\u202eice" }, "name"},
		{"name too long", func(n *mail.Notice) { n.Name = strings.Repeat("a", 201) }, "name"},
		{"new address on verify", func(n *mail.Notice) { n.NewEmail = "x@example.com" }, "no new address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := notice(mail.KindVerifyEmail)
			tt.modify(&n)
			_, err := r.Render(n)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render: %v, want an error mentioning %q", err, tt.want)
			}
		})
	}

	kindTests := []struct {
		name string
		n    mail.Notice
		want string
	}{
		{"token for a notice", mail.Notice{Kind: mail.KindPasswordChanged, To: "a@example.com", Token: token}, "carries no token"},
		{"token for signup attempt", mail.Notice{Kind: mail.KindSignupAttempt, To: "a@example.com", Token: token}, "carries no token"},
		{"change notice without new address", mail.Notice{Kind: mail.KindEmailChangeNotice, To: "a@example.com"}, "new address"},
		{"change notice with bad new address", mail.Notice{Kind: mail.KindEmailChangeNotice, To: "a@example.com", NewEmail: "B <b@example.com>"}, "new address"},
		{"email change to another address", mail.Notice{Kind: mail.KindEmailChange, To: "a@example.com", NewEmail: "b@example.com", Token: token}, "new address"},
	}
	for _, tt := range kindTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Render(tt.n)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render: %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestRenderEmailChangeNewEmailDefaultsToRecipient(t *testing.T) {
	n := mail.Notice{Kind: mail.KindEmailChange, To: "new@example.com", Token: token}
	m, err := newRenderer(t).Render(n)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if !strings.Contains(m.Text, "to new@example.com.") {
		t.Errorf("text part does not name the new address:\n%s", m.Text)
	}
}

func TestNewRendererChecksItsInput(t *testing.T) {
	tests := []struct {
		name, product, baseURL string
		wantErr                string // "" for success
	}{
		{"plain", "Acme", "https://app.example.com", ""},
		{"trailing slash", "Acme", "http://localhost:8080/", ""},
		{"path", "Acme", "https://example.com/app", ""},
		{"empty product", "", "https://app.example.com", "product"},
		{"product with newline", "Ac\nme", "https://app.example.com", "product"},
		{"empty base URL", "Acme", "", "scheme"},
		{"relative base URL", "Acme", "/app", "scheme"},
		{"ftp", "Acme", "ftp://example.com", "scheme"},
		{"no host", "Acme", "https://", "host"},
		{"query", "Acme", "https://example.com/?a=1", "query"},
		{"fragment", "Acme", "https://example.com/#x", "fragment"},
		{"user", "Acme", "https://u@example.com", "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mail.NewRenderer(tt.product, tt.baseURL)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("NewRenderer: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("NewRenderer: %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewRendererChecksTemplates(t *testing.T) {
	full := fstest.MapFS{}
	if err := fs.WalkDir(web.MailTemplates(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.MailTemplates(), path)
		full[path] = &fstest.MapFile{Data: b}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := mail.NewRendererFS(full, "Acme", baseURL); err != nil {
		t.Fatalf("NewRenderer with a copy of the templates: %v", err)
	}
	tests := []struct {
		name   string
		modify func(fstest.MapFS)
		want   string
	}{
		{"missing html", func(f fstest.MapFS) { delete(f, "password_reset.html") }, "password_reset.html"},
		{"missing txt", func(f fstest.MapFS) { delete(f, "verify_email.txt") }, "verify_email.txt"},
		{"missing layout", func(f fstest.MapFS) { delete(f, "layout.html") }, "layout.html"},
		{"no subject", func(f fstest.MapFS) { f["verify_email.txt"] = &fstest.MapFile{Data: []byte("{{.Link}}")} }, "subject"},
		{"empty subject", func(f fstest.MapFS) {
			f["verify_email.txt"] = &fstest.MapFile{Data: []byte(`{{define "subject"}} {{end}}{{.Link}}`)}
		}, "subject is empty"},
		{"unknown field", func(f fstest.MapFS) {
			f["verify_email.html"] = &fstest.MapFile{Data: []byte(`{{.Password}}`)}
		}, "Password"},
		{"syntax error", func(f fstest.MapFS) { f["signup_attempt.html"] = &fstest.MapFile{Data: []byte(`{{if}}`)} }, "signup_attempt.html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := maps.Clone(full)
			tt.modify(f)
			_, err := mail.NewRendererFS(f, "Acme", baseURL)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewRenderer: %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

// Every file in web/mail is a layout or belongs to a kind: a template for a
// kind that does not exist would never be rendered, nor checked.
func TestNoStrayTemplates(t *testing.T) {
	want := map[string]bool{"layout.txt": true, "layout.html": true}
	for _, k := range mail.Kinds() {
		want[string(k)+".txt"], want[string(k)+".html"] = true, true
	}
	entries, err := fs.ReadDir(web.MailTemplates(), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("web/mail/%s belongs to no kind", e.Name())
		}
	}
}

func TestKind(t *testing.T) {
	for _, k := range mail.Kinds() {
		if !k.Valid() {
			t.Errorf("%s.Valid() = false", k)
		}
	}
	for _, k := range []mail.Kind{"", "Verify_Email", "welcome"} {
		if k.Valid() {
			t.Errorf("%q.Valid() = true", k)
		}
		if k.NeedsToken() {
			t.Errorf("%q.NeedsToken() = true", k)
		}
	}
	var tokenKinds []mail.Kind
	for _, k := range mail.Kinds() {
		if k.NeedsToken() {
			tokenKinds = append(tokenKinds, k)
		}
	}
	if diff := cmp.Diff([]mail.Kind{mail.KindVerifyEmail, mail.KindPasswordReset, mail.KindEmailChange, mail.KindInvitation}, tokenKinds); diff != "" {
		t.Errorf("kinds with a token (-want +got):\n%s", diff)
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{7 * 24 * time.Hour, "7 days"},
		{2 * 24 * time.Hour, "2 days"},
		{36 * time.Hour, "36 hours"},
		{7*24*time.Hour + time.Hour, "169 hours"},
		{7*24*time.Hour + 30*time.Minute, "10110 minutes"},
		{24 * time.Hour, "24 hours"},
		{time.Hour, "1 hour"},
		{30 * time.Minute, "30 minutes"},
		{time.Minute, "1 minute"},
		{90 * time.Minute, "90 minutes"},
		{90*time.Second + time.Millisecond, "1 minute"},
	}
	for _, tt := range tests {
		if got := mail.HumanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
