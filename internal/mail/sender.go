package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"

	gomail "github.com/wneessen/go-mail"
)

// sendTimeout bounds each phase of a delivery: connecting (dial, greeting,
// TLS, AUTH) and the transfer; the caller's context can end it sooner.
const sendTimeout = 10 * time.Second

// Message is one rendered mail.
type Message struct {
	To      string // recipient address
	Subject string // one line
	Text    string // plain-text part (required)
	HTML    string // HTML alternative (optional)
	// ID is the Message-ID without angle brackets, left@domain. Optional
	// (then random); callers set it per job (see Sender.MessageID) so that
	// a retried delivery of the same mail is recognisable as such.
	ID string
}

// Sender delivers Messages over SMTP. It is safe for concurrent use: every
// Send opens its own connection.
type Sender struct {
	srv     server
	from    *netmail.Address
	timeout time.Duration
	// rootCAs verifies the server's certificate; nil: the system's roots.
	// Tests set it to trust their server.
	rootCAs *x509.CertPool
}

// NewSender checks rawURL (MAIL_URL) and from (MAIL_FROM) and returns a
// Sender; it does not connect.
//
// rawURL is smtp://[user:password@]host[:port] (port 587 by default;
// STARTTLS required, except for a loopback relay, where it is used when
// offered so a local catcher without TLS works, and with
// ?disable_starttls=true, which allows no user) or
// smtps://[user:password@]host[:port] (TLS from the start, port 465 by
// default). With a user, the Sender authenticates with the best mechanism
// the server offers; without TLS (loopback only) it never sends the
// password itself (only challenge-response mechanisms such as CRAM-MD5).
func NewSender(rawURL, from string) (*Sender, error) {
	srv, err := parseMailURL(rawURL)
	if err != nil {
		return nil, err
	}
	addr, err := parseFrom(from)
	if err != nil {
		return nil, err
	}
	return &Sender{srv: srv, from: addr, timeout: sendTimeout}, nil
}

// MessageID returns a Message-ID (without angle brackets) for key in the
// domain of the From address: the same key gives the same ID, so a job
// that uses its own id as key sends every retry with one Message-ID.
// Characters of key that may not appear in a Message-ID become '-'.
func (s *Sender) MessageID(key string) string {
	left := strings.Map(func(r rune) rune {
		if isAtext(r) || r == '.' {
			return r
		}
		return '-'
	}, key)
	if !validIDPart(left) { // empty, or dots at an end or in a row
		left = strings.ReplaceAll(left, ".", "-")
	}
	if left == "" {
		left = "-"
	}
	_, domain, _ := strings.Cut(s.from.Address, "@")
	if !validIDPart(domain) {
		domain = "localhost"
	}
	return left + "@" + domain
}

// Send delivers m. It returns when the server has accepted the message, or
// with an error once the server refused it, the connection failed, a phase
// overran its 10 seconds (one for connecting: dial, greeting, TLS and AUTH;
// one for the transfer), or ctx ended (then errors.Is(err, ctx.Err())
// holds). Nothing is logged.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := s.message(m)
	if err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	// Closing the connection when ctx ends interrupts any read or write:
	// go-mail itself only lets ctx bound the dial. The cancel at the end
	// also closes a connection go-mail leaves open after a failed greeting.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client, err := s.client(ctx)
	if err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			return fmt.Errorf("send mail: %w: %w", ctxErr, err)
		}
		return fmt.Errorf("send mail: %w", err)
	}
	return nil
}

// client builds the go-mail client for one delivery. One per Send: a
// go-mail Client keeps per-connection state, such as the chosen SMTP AUTH
// mechanism, that concurrent deliveries must not share.
func (s *Sender) client(ctx context.Context) (*gomail.Client, error) {
	tlsConfig := &tls.Config{ServerName: s.srv.host, MinVersion: tls.VersionTLS12, RootCAs: s.rootCAs}
	opts := []gomail.Option{
		gomail.WithPort(s.srv.port),
		gomail.WithTimeout(s.timeout),
		// smtp: STARTTLS as MAIL_URL says (parseMailURL). smtps: the connection is TLS
		// already, which go-mail sees, so it offers no STARTTLS and
		// counts the connection as encrypted when choosing an AUTH
		// mechanism.
		gomail.WithTLSPolicy(s.srv.starttls),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithDialContextFunc(s.dialer(ctx, tlsConfig)),
	}
	if s.srv.username != "" {
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.srv.username),
			gomail.WithPassword(s.srv.password),
		)
	}
	client, err := gomail.NewClient(s.srv.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("configure SMTP client: %w", err)
	}
	return client, nil
}

// dialer returns go-mail's dial function: TCP, or TLS for smtps, to the
// configured host and port (joined properly, IPv6 included), with the
// connection closed as soon as ctx (the whole delivery's) ends.
func (s *Sender) dialer(ctx context.Context, tlsConfig *tls.Config) gomail.DialContextFunc {
	addr := net.JoinHostPort(s.srv.host, strconv.Itoa(s.srv.port))
	return func(dialCtx context.Context, network, _ string) (net.Conn, error) {
		nd := &net.Dialer{Timeout: s.timeout}
		var conn net.Conn
		var err error
		if s.srv.implicitTLS {
			conn, err = (&tls.Dialer{NetDialer: nd, Config: tlsConfig}).DialContext(dialCtx, network, addr)
		} else {
			conn, err = nd.DialContext(dialCtx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		context.AfterFunc(ctx, func() { _ = conn.Close() })
		return conn, nil
	}
}

// message checks m and builds the go-mail message: From, To, Subject, Date,
// Message-ID, Auto-Submitted, and a text part with an HTML alternative.
func (s *Sender) message(m Message) (*gomail.Msg, error) {
	switch {
	case m.To == "":
		return nil, errors.New("recipient is missing")
	case m.Subject == "" || strings.ContainsFunc(m.Subject, unicode.IsControl):
		return nil, errors.New("subject must be one non-empty line")
	case m.Text == "":
		return nil, errors.New("text part is missing")
	case m.ID != "" && !validMessageID(m.ID):
		return nil, fmt.Errorf("message id %q: want left@domain without angle brackets", m.ID)
	}
	// No User-Agent/X-Mailer: nothing to tell the world which library we run.
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To); err != nil {
		return nil, errors.New("recipient is not a valid address")
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	id := m.ID
	if id == "" {
		// Random, in our domain: go-mail's own would carry the host name.
		id = s.MessageID(rand.Text())
	}
	msg.SetMessageIDWithValue(id)
	// RFC 3834: automated mail; auto-responders should not answer it.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// validMessageID reports whether id is left@domain with both sides
// dot-atoms (RFC 5322 msg-id, without the obsolete and literal forms).
func validMessageID(id string) bool {
	left, right, ok := strings.Cut(id, "@")
	return ok && validIDPart(left) && validIDPart(right)
}

// validIDPart reports whether s is a dot-atom: atext runs joined by single dots.
func validIDPart(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for atom := range strings.SplitSeq(s, ".") {
		if atom == "" || strings.ContainsFunc(atom, func(r rune) bool { return !isAtext(r) }) {
			return false
		}
	}
	return true
}

// isAtext reports whether r is an RFC 5322 atext character.
func isAtext(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}
