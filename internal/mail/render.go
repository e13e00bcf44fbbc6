package mail

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	netmail "net/mail"
	"net/url"
	"strings"
	texttemplate "text/template"
	"unicode"

	"github.com/tenantkit/tenantkit/internal/validation"
	"github.com/tenantkit/tenantkit/web"
)

// Limits on what a Notice may carry. Names follow identity's rule for user
// and tenant names; tokens are high-entropy strings of a few dozen
// characters.
const (
	maxNameRunes    = 200
	maxTenantRunes  = 200
	maxProductRunes = 100
	maxTokenBytes   = 512
)

// Notice says which mail to send to whom. Render checks it.
type Notice struct {
	Kind Kind
	// To is the recipient's bare address (name@example.com).
	To string
	// Name is the recipient's display name for the greeting; may be empty.
	Name string
	// Token is the raw token of the link, for the kinds that carry one
	// (Kind.NeedsToken) and only for them.
	Token string
	// NewEmail is the new address of an email change: required for
	// KindEmailChangeNotice, optional for KindEmailChange (where it is To),
	// refused for the other kinds.
	NewEmail string
	// Tenant, Inviter and Role are an invitation's: the display name of the
	// tenant (free text its users typed, checked like Name), the inviting
	// user's bare address, and the role offered (owner, admin, member or
	// viewer). Required for KindInvitation, refused for the other kinds.
	Tenant  string
	Inviter string
	Role    string
}

// Renderer renders Notices from the embedded templates. It is safe for
// concurrent use.
type Renderer struct {
	product string
	base    *url.URL
	kinds   map[Kind]templates
}

// templates is one kind's parsed template pair.
type templates struct {
	text *texttemplate.Template // root: the plain-text body; "subject": the subject
	html *htmltemplate.Template // root: the HTML body
}

// data is what the templates see.
type data struct {
	Product  string // product name, e.g. "tenantkit"
	BaseURL  string // site URL, no trailing slash
	Name     string // recipient's name, may be empty
	Link     string // the link the mail is about (with ?token= for token kinds)
	NewEmail string // new address of an email change, else empty
	Tenant   string // an invitation's tenant name, else empty
	Inviter  string // an invitation's inviter (bare address), else empty
	Role     string // an invitation's role, else empty
	Expires  string // token lifetime in words ("24 hours"), else empty
	Subject  string // the rendered subject (HTML <title>); empty while rendering it
}

// NewRenderer parses the templates of every kind from web.MailTemplates and
// renders each once, so that a broken template fails at start-up rather than
// in a job. product names the site in the mails; baseURL is the site's
// public http(s) URL (BASE_URL), to which the links are relative.
func NewRenderer(product, baseURL string) (*Renderer, error) {
	return newRenderer(web.MailTemplates(), product, baseURL)
}

func newRenderer(fsys fs.FS, product, baseURL string) (*Renderer, error) {
	product, problem := validation.CleanText(product, maxProductRunes)
	if problem != "" {
		return nil, fmt.Errorf("mail renderer: product name %s", problem)
	}
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, fmt.Errorf("mail renderer: %w", err)
	}
	r := &Renderer{product: product, base: base, kinds: make(map[Kind]templates)}
	for _, k := range Kinds() {
		tt, err := parseKind(fsys, k)
		if err != nil {
			return nil, fmt.Errorf("mail renderer: %w", err)
		}
		r.kinds[k] = tt
	}
	for _, k := range Kinds() {
		n := Notice{Kind: k, To: "check@example.com", Name: "Check"}
		if k.NeedsToken() {
			n.Token = "check"
		}
		sp, _ := k.spec()
		if sp.newEmail {
			n.NewEmail = n.To
		}
		if sp.invitation {
			n.Tenant, n.Inviter, n.Role = "Check", n.To, "member"
		}
		if _, err := r.Render(n); err != nil {
			return nil, fmt.Errorf("mail renderer: trial render: %w", err)
		}
	}
	return r, nil
}

// parseBaseURL checks that raw is an absolute http(s) URL without user,
// query or fragment, and drops a trailing slash from its path.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("base URL %q: %w", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("base URL %q: scheme must be http or https", raw)
	case u.Host == "":
		return nil, fmt.Errorf("base URL %q: host is missing", raw)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("base URL %q: must have no user, query or fragment", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// parseKind parses <kind>.txt and <kind>.html, each with its layout.
func parseKind(fsys fs.FS, k Kind) (templates, error) {
	txtName, htmlName := string(k)+".txt", string(k)+".html"
	text, err := texttemplate.New(txtName).Option("missingkey=error").ParseFS(fsys, "layout.txt", txtName)
	if err != nil {
		return templates{}, fmt.Errorf("parse %s: %w", txtName, err)
	}
	if text.Lookup("subject") == nil {
		return templates{}, fmt.Errorf("parse %s: no \"subject\" template", txtName)
	}
	html, err := htmltemplate.New(htmlName).Option("missingkey=error").ParseFS(fsys, "layout.html", htmlName)
	if err != nil {
		return templates{}, fmt.Errorf("parse %s: %w", htmlName, err)
	}
	return templates{text: text, html: html}, nil
}

// Render checks n and renders its mail. It fails for an unknown kind, a
// token kind without a token (or a token for another kind), a missing or
// unexpected NewEmail, Tenant, Inviter or Role, an unknown role, and
// addresses or names that are not well formed.
// The returned Message has no ID: the caller sets one per job.
func (r *Renderer) Render(n Notice) (Message, error) {
	d, err := r.data(n)
	if err != nil {
		return Message{}, fmt.Errorf("render mail %q: %w", n.Kind, err)
	}
	tt := r.kinds[n.Kind]
	var b bytes.Buffer
	if err := tt.text.ExecuteTemplate(&b, "subject", d.data); err != nil {
		return Message{}, fmt.Errorf("render mail %q: subject: %w", n.Kind, err)
	}
	// One line, single spaces, whatever the template's layout.
	d.Subject = strings.Join(strings.Fields(b.String()), " ")
	if d.Subject == "" {
		return Message{}, fmt.Errorf("render mail %q: subject is empty", n.Kind)
	}
	b.Reset()
	if err := tt.text.Execute(&b, d.data); err != nil {
		return Message{}, fmt.Errorf("render mail %q: text: %w", n.Kind, err)
	}
	text := b.String()
	b.Reset()
	if err := tt.html.Execute(&b, d.data); err != nil {
		return Message{}, fmt.Errorf("render mail %q: html: %w", n.Kind, err)
	}
	return Message{To: d.to, Subject: d.Subject, Text: text, HTML: b.String()}, nil
}

// checked is data with the recipient, which the templates do not show.
type checked struct {
	data
	to string
}

// data checks n against its kind and returns the template data.
func (r *Renderer) data(n Notice) (checked, error) {
	sp, ok := n.Kind.spec()
	if !ok {
		return checked{}, errors.New("unknown kind")
	}
	to, err := bareAddress(n.To)
	if err != nil {
		return checked{}, fmt.Errorf("recipient: %w", err)
	}
	d := checked{to: to, data: data{Product: r.product, BaseURL: r.base.String()}}
	if n.Name != "" {
		name, problem := validation.CleanText(n.Name, maxNameRunes)
		if problem != "" {
			return checked{}, fmt.Errorf("name %s", problem)
		}
		d.Name = name
	}
	switch {
	case sp.token && n.Token == "":
		return checked{}, errors.New("token is missing")
	case !sp.token && n.Token != "":
		return checked{}, errors.New("this kind carries no token")
	case len(n.Token) > maxTokenBytes || strings.ContainsFunc(n.Token, notTokenChar):
		return checked{}, errors.New("token must be printable ASCII without spaces")
	}
	switch {
	case !sp.newEmail && n.NewEmail != "":
		return checked{}, errors.New("this kind names no new address")
	case sp.newEmail && n.NewEmail == "" && n.Kind == KindEmailChange:
		d.NewEmail = to // the mail goes to the new address
	case sp.newEmail:
		d.NewEmail, err = bareAddress(n.NewEmail)
		if err != nil {
			return checked{}, fmt.Errorf("new address: %w", err)
		}
		if n.Kind == KindEmailChange && !strings.EqualFold(d.NewEmail, to) {
			return checked{}, errors.New("an email change is confirmed by mail to the new address")
		}
	}
	if err := checkInvitation(sp, n, &d.data); err != nil {
		return checked{}, err
	}
	if sp.expires > 0 {
		d.Expires = humanDuration(sp.expires)
	}
	d.Link = r.link(sp.path, n.Token)
	return d, nil
}

// checkInvitation checks n's invitation fields and sets them in d: all
// three for an invitation, none for the other kinds.
func checkInvitation(sp spec, n Notice, d *data) error {
	if !sp.invitation {
		if n.Tenant != "" || n.Inviter != "" || n.Role != "" {
			return errors.New("this kind names no tenant, inviter or role")
		}
		return nil
	}
	// The tenant's name is what its users typed; CleanText keeps it to one
	// line of visible characters, so it cannot break the subject or a line
	// of the text part, nor hide text.
	tenant, problem := validation.CleanText(n.Tenant, maxTenantRunes)
	if problem != "" {
		return fmt.Errorf("tenant name %s", problem)
	}
	inviter, err := bareAddress(n.Inviter)
	if err != nil {
		return fmt.Errorf("inviter: %w", err)
	}
	if !validRole(n.Role) {
		return fmt.Errorf("role %q is not one of owner, admin, member, viewer", n.Role)
	}
	d.Tenant, d.Inviter, d.Role = tenant, inviter, n.Role
	return nil
}

// validRole reports whether role is one a membership can have. The list is
// identity.Role's (and the invitations table's CHECK); mail sits below
// identity and so keeps its own copy.
func validRole(role string) bool {
	switch role {
	case "owner", "admin", "member", "viewer":
		return true
	}
	return false
}

// link is the base URL joined with path, with ?token= when token is set.
func (r *Renderer) link(path, token string) string {
	u := r.base.JoinPath(path)
	if token != "" {
		u.RawQuery = url.Values{"token": {token}}.Encode()
	}
	return u.String()
}

// bareAddress checks that s is a bare address, name@example.com (no display
// name, no angle brackets, nothing that could end a header line).
func bareAddress(s string) (string, error) {
	if s == "" {
		return "", errors.New("address is missing")
	}
	addr, err := netmail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" || validation.CheckText(s) != "" {
		return "", errors.New("not a bare email address")
	}
	return s, nil
}

// notTokenChar reports whether r may not appear in a token: tokens are
// URL-safe in practice, and anything else is a caller's bug.
func notTokenChar(r rune) bool {
	return r > unicode.MaxASCII || !unicode.IsPrint(r) || r == ' '
}
