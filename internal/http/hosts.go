package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// errHostNotAllowed answers a request whose Host the server does not serve.
// 421 Misdirected Request (RFC 9110, section 15.5.20) says exactly that:
// this server will not answer authoritatively for the URI's host. It is not
// a malformed request (400), and a client that reached this server through
// a reused connection (HTTP/2 coalescing) retries on a new one.
var errHostNotAllowed = errorf(http.StatusMisdirectedRequest, "host_not_allowed",
	"This server does not answer for the host the request names.")

// HostPattern is a host the server answers for: a DNS name or an IP
// address, on any port or on one, or every name one label under a domain
// (*.example.com). Build one with ParseHostPattern.
type HostPattern struct {
	name       string // lower case, no trailing dot; an IP address in canonical form
	port       int    // 0: any port
	subdomains bool   // name is a domain: match "<label>.name", not name itself
}

// ParseHostPattern parses "host", "host:port", "[IPv6]", "[IPv6]:port" or
// "*.domain" (any one label under domain, on any port; "*.domain:port" on
// one). Names are case-insensitive and may end with a dot.
func ParseHostPattern(s string) (HostPattern, error) {
	raw := s
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.ContainsAny(s, "/@?#") {
		return HostPattern{}, fmt.Errorf("host %q: want a host, optionally with :port, not a URL", raw)
	}
	var p HostPattern
	s, p.subdomains = strings.CutPrefix(s, "*.")
	name, port, err := splitHostPort(s)
	if err != nil {
		return HostPattern{}, fmt.Errorf("host %q: %w", raw, err)
	}
	p.port = port
	if a, err := netip.ParseAddr(name); err == nil {
		if p.subdomains {
			return HostPattern{}, fmt.Errorf("host %q: *. goes before a domain name, not an IP address", raw)
		}
		if a.Is6() && !strings.HasPrefix(s, "[") {
			return HostPattern{}, fmt.Errorf("host %q: write an IPv6 address in brackets, like [::1] or [::1]:8080", raw)
		}
		p.name = canonicalIP(a)
		return p, nil
	}
	if strings.HasPrefix(s, "[") {
		return HostPattern{}, fmt.Errorf("host %q: brackets hold an IPv6 address only", raw)
	}
	if !validName(name) {
		return HostPattern{}, fmt.Errorf("host %q: want a DNS name, an IP address or *.domain, optionally with :port", raw)
	}
	p.name = name
	return p, nil
}

// String returns the pattern as ParseHostPattern reads it.
func (p HostPattern) String() string {
	s := p.name
	if strings.Contains(s, ":") {
		s = "[" + s + "]"
	}
	if p.subdomains {
		s = "*." + s
	}
	if p.port != 0 {
		s += ":" + strconv.Itoa(p.port)
	}
	return s
}

// matches reports whether the host name and port of a request (port 0:
// none given) fall under p.
func (p HostPattern) matches(name string, port int) bool {
	if p.port != 0 && p.port != port {
		return false
	}
	if !p.subdomains {
		return name == p.name
	}
	label, ok := strings.CutSuffix(name, "."+p.name)
	return ok && label != "" && !strings.Contains(label, ".")
}

// LoopbackHosts are localhost, 127.0.0.1 and [::1] on any port: what a
// server in development answers for, and the default of
// Config.AllowedHosts.
func LoopbackHosts() []HostPattern {
	return []HostPattern{{name: "localhost"}, {name: "127.0.0.1"}, {name: "::1"}}
}

// BaseURLHosts returns the hosts a server whose public URL is base answers
// for: base's host on any port and, when that is a loopback host (a
// development server, such as http://localhost:8080), every loopback host,
// so http://127.0.0.1:8080 works as well.
func BaseURLHosts(base *url.URL) ([]HostPattern, error) {
	host := base.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	p, err := ParseHostPattern(host)
	if err != nil {
		return nil, err
	}
	// A name (not an address) or a non-loopback address is allowed alone.
	a, addrErr := netip.ParseAddr(p.name)
	loopback := p.name == "localhost" || strings.HasSuffix(p.name, ".localhost") || (addrErr == nil && a.IsLoopback())
	if !loopback {
		return []HostPattern{p}, nil
	}
	hosts := LoopbackHosts()
	if !slices.Contains(hosts, p) {
		hosts = append([]HostPattern{p}, hosts...)
	}
	return hosts, nil
}

// probePaths answer whatever Host a request names: load balancers and
// container health checks address them by IP (cmd/server's healthcheck
// asks http://127.0.0.1:<port>/healthz), and they tell nothing about any
// tenant or user.
var probePaths = map[string]bool{"/healthz": true, "/readyz": true}

// allowedHosts answers errHostNotAllowed to a request whose Host matches
// none of hosts (empty: LoopbackHosts), except at the probe paths. A
// server reached under a name it was not set up for (DNS rebinding: a
// page on an attacker's name that resolves to this server; a stray DNS
// record; a proxy that forwards any name) answers nothing but the probes.
func (s *Server) allowedHosts(hosts []HostPattern) func(http.Handler) http.Handler {
	if len(hosts) == 0 {
		hosts = LoopbackHosts()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if probePaths[r.URL.Path] || hostAllowed(hosts, r.Host) {
				next.ServeHTTP(w, r)
				return
			}
			s.writeError(w, r, errHostNotAllowed)
		})
	}
}

// hostAllowed reports whether the Host of a request matches one of hosts.
func hostAllowed(hosts []HostPattern, host string) bool {
	name, port, err := splitHostPort(strings.ToLower(host))
	if err != nil {
		return false
	}
	if a, err := netip.ParseAddr(name); err == nil {
		name = canonicalIP(a)
	}
	for _, p := range hosts {
		if p.matches(name, port) {
			return true
		}
	}
	return false
}

// splitHostPort splits "name", "name:port", "[v6]" or "[v6]:port" into the
// name (brackets removed, one trailing dot dropped) and the port (0 when
// none).
func splitHostPort(s string) (string, int, error) {
	name, portText := s, ""
	if rest, ok := strings.CutPrefix(s, "["); ok {
		inside, after, ok := strings.Cut(rest, "]")
		if !ok {
			return "", 0, errors.New("unclosed [")
		}
		name = inside
		if after != "" {
			var hasPort bool
			if portText, hasPort = strings.CutPrefix(after, ":"); !hasPort {
				return "", 0, errors.New("want ]:port after an IPv6 address")
			}
		}
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if strings.Count(s, ":") > 1 {
			// A bare IPv6 address: no port can be told from it.
			return s, 0, nil
		}
		name, portText = s[:i], s[i+1:]
	}
	port := 0
	if portText != "" || strings.HasSuffix(s, ":") {
		n, err := strconv.Atoi(portText)
		if err != nil || n < 1 || n > 65535 || portText[0] == '+' {
			return "", 0, fmt.Errorf("port %q: want 1 to 65535", portText)
		}
		port = n
	}
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return "", 0, errors.New("no host name")
	}
	return name, port, nil
}

// canonicalIP is a's one spelling: IPv4-mapped IPv6 as IPv4, no zone.
func canonicalIP(a netip.Addr) string {
	return a.Unmap().WithZone("").String()
}

// validName reports whether s is a DNS name: dot-separated labels of 1 to
// 63 letters, digits, hyphens or underscores, not starting or ending with a
// hyphen, at most 253 bytes in all.
func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}
