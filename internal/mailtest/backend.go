package mailtest

import (
	"crypto/subtle"
	"fmt"
	"io"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// backend makes one session per SMTP connection.
type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

// session is one SMTP conversation: AUTH (when configured), MAIL, RCPT, DATA.
type session struct {
	s    *Server
	conn *smtp.Conn
	user string // who logged in with AUTH, "" before
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

// AuthMechanisms offers PLAIN when the server has credentials; go-smtp
// advertises nothing when the list is empty.
func (se *session) AuthMechanisms() []string {
	if se.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	if se.s.opts.Username == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, username, password string) error {
		se.s.mu.Lock()
		se.s.authAttempts++
		se.s.mu.Unlock()
		userOK := subtle.ConstantTimeCompare([]byte(username), []byte(se.s.opts.Username)) == 1
		passOK := subtle.ConstantTimeCompare([]byte(password), []byte(se.s.opts.Password)) == 1
		if !userOK || !passOK {
			return smtp.ErrAuthFailed
		}
		se.user = username
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.opts.Username != "" && se.user == "" {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

// Data decodes the message and records it; one that does not decode is
// refused, so that the sender's test fails where the bug is.
func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: fmt.Sprintf("mailtest: %v", err)}
	}
	m.From, m.To = se.from, append([]string(nil), se.to...)
	_, m.TLS = se.conn.TLSConnectionState()
	m.AuthUser = se.user
	se.s.add(m)
	return nil
}

func (se *session) Reset() {
	se.from, se.to = "", nil
}

func (se *session) Logout() error { return nil }
