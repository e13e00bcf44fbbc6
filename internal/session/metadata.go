package session

import (
	"net/netip"

	"github.com/tenantkit/tenantkit/internal/validation"
)

// maxUserAgent bounds the user agent kept with a session, in bytes.
const maxUserAgent = 256

// clientIP returns the address in remoteAddr ("ip:port" or a bare ip), or
// "" when it holds none.
func clientIP(remoteAddr string) string {
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		return ap.Addr().Unmap().String()
	}
	if a, err := netip.ParseAddr(remoteAddr); err == nil {
		return a.Unmap().String()
	}
	return ""
}

// truncateUserAgent makes ua valid UTF-8 of at most maxUserAgent bytes,
// cut at a character boundary.
func truncateUserAgent(ua string) string { return validation.Truncate(ua, maxUserAgent) }
