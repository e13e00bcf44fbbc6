package mail

import (
	"crypto/x509"
	"io/fs"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SetRootCAs makes s trust the certificates of pool's holders (a test
// server's), instead of the system's roots.
func SetRootCAs(s *Sender, pool *x509.CertPool) { s.rootCAs = pool }

// SetTimeout replaces the 10-second dial and I/O bound.
func SetTimeout(s *Sender, d time.Duration) { s.timeout = d }

// NewRendererFS is NewRenderer with the templates from fsys.
func NewRendererFS(fsys fs.FS, product, baseURL string) (*Renderer, error) {
	return newRenderer(fsys, product, baseURL)
}

// HumanDuration is humanDuration.
func HumanDuration(d time.Duration) string { return humanDuration(d) }

// StartTLSPolicy is the STARTTLS policy MAIL_URL raw sets.
func StartTLSPolicy(raw string) (gomail.TLSPolicy, error) {
	s, err := parseMailURL(raw)
	return s.starttls, err
}
