package mail

import (
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// Default ports: submission with STARTTLS (RFC 6409) and implicit TLS (RFC 8314).
const (
	defaultSMTPPort  = 587
	defaultSMTPSPort = 465
)

// server is where and how a Sender delivers, from MAIL_URL.
type server struct {
	host        string
	port        int
	implicitTLS bool // smtps: TLS from the first byte; smtp: STARTTLS (see starttls)
	// starttls is smtp://'s policy: required (the default), or, for a
	// loopback relay, used when offered; off with disable_starttls=true,
	// for a relay on a private network that speaks no TLS (docker
	// compose's Mailpit).
	starttls gomail.TLSPolicy
	username string
	password string
}

// parseMailURL reads MAIL_URL: smtp://[user:pass@]host[:port] or
// smtps://[user:pass@]host[:port]; smtp:// may end in
// ?disable_starttls=true (and then has no user). Errors name MAIL_URL and never quote the
// URL: it may hold a password, and a mistyped one can land in any part of a
// URL that failed to parse.
func parseMailURL(raw string) (server, error) {
	if raw == "" {
		return server{}, errors.New("MAIL_URL is empty: want smtp://[user:password@]host[:port] or smtps://…")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Not wrapped: url.Error quotes the URL, and its inner error can
		// quote a piece of the password (smtp://u:pa/ss@host).
		return server{}, errors.New("MAIL_URL is not a valid URL (percent-encode / ? # @ : in the user or password)")
	}
	var s server
	switch u.Scheme {
	case "smtp":
		s.port = defaultSMTPPort
	case "smtps":
		s.port, s.implicitTLS = defaultSMTPSPort, true
	default:
		return server{}, fmt.Errorf("MAIL_URL: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	switch {
	case u.Opaque != "":
		return server{}, errors.New("MAIL_URL: want smtp://host, not smtp:host")
	case u.Hostname() == "":
		return server{}, errors.New("MAIL_URL: host is missing")
	case u.Path != "" && u.Path != "/", u.ForceQuery, u.Fragment != "":
		return server{}, errors.New("MAIL_URL: must have no path, query or fragment")
	}
	s.host = u.Hostname()
	s.starttls = gomail.TLSMandatory
	if ip := net.ParseIP(s.host); s.implicitTLS || s.host == "localhost" || (ip != nil && ip.IsLoopback()) {
		// smtps is TLS already; a relay on this machine has nothing to
		// intercept.
		s.starttls = gomail.TLSOpportunistic
	}
	switch q := u.RawQuery; {
	case q == "":
	case q == "disable_starttls=true" && !s.implicitTLS && u.User == nil:
		s.starttls = gomail.NoTLS
	case q == "disable_starttls=true":
		return server{}, errors.New("MAIL_URL: disable_starttls=true is for smtp:// without a user (credentials only travel over TLS)")
	default:
		return server{}, errors.New("MAIL_URL: the only query is disable_starttls=true")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return server{}, errors.New("MAIL_URL: port must be 1 to 65535")
		}
		s.port = n
	}
	if u.User != nil {
		pass, ok := u.User.Password()
		s.username = u.User.Username()
		switch {
		case s.username == "":
			return server{}, errors.New("MAIL_URL: user is empty")
		case !ok || pass == "":
			return server{}, errors.New("MAIL_URL: user without a password")
		}
		s.password = pass
	}
	return s, nil
}

// parseFrom reads MAIL_FROM: an address with an optional display name,
// `tenantkit <no-reply@example.com>` or `no-reply@example.com`.
func parseFrom(raw string) (*netmail.Address, error) {
	if raw == "" {
		return nil, errors.New("MAIL_FROM is empty: want an address like \"Example <no-reply@example.com>\"")
	}
	addr, err := netmail.ParseAddress(raw)
	if err != nil {
		return nil, fmt.Errorf("MAIL_FROM %q: %w", raw, err)
	}
	if strings.ContainsAny(addr.Name, "\r\n") {
		return nil, fmt.Errorf("MAIL_FROM %q: display name spans lines", raw)
	}
	return addr, nil
}
