package httpapi

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// trustedForTest: a private proxy network, one IPv6 proxy network and one
// single proxy address.
var trustedForTest = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("2001:db8:ffff::/48"),
	netip.MustParsePrefix("192.0.2.1/32"),
}

// clientIP runs realIP(trusted) on a request from peer with the given
// X-Forwarded-For header lines and returns the r.RemoteAddr the next
// handler saw.
func clientIP(t *testing.T, trusted []netip.Prefix, peer string, xff ...string) string {
	t.Helper()
	var got string
	h := realIP(trusted)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = peer
	for _, v := range xff {
		r.Header.Add("X-Forwarded-For", v)
	}
	h.ServeHTTP(httptest.NewRecorder(), r)
	return got
}

func TestRealIP(t *testing.T) {
	tests := []struct {
		name    string
		trusted []netip.Prefix // nil: trustedForTest
		peer    string         // r.RemoteAddr as net/http sets it
		xff     []string       // X-Forwarded-For lines
		want    string
	}{
		// A peer outside TRUSTED_PROXIES is the client, whatever it claims.
		{name: "untrusted peer, no header", peer: "203.0.113.9:51234", want: "203.0.113.9"},
		{name: "untrusted peer claims another client", peer: "203.0.113.9:51234", xff: []string{"198.51.100.1"}, want: "203.0.113.9"},
		{name: "untrusted peer claims to be behind a trusted proxy", peer: "203.0.113.9:51234", xff: []string{"198.51.100.1, 10.0.0.2"}, want: "203.0.113.9"},
		{name: "untrusted peer, several lines", peer: "203.0.113.9:51234", xff: []string{"198.51.100.1", "198.51.100.2"}, want: "203.0.113.9"},
		{name: "untrusted IPv6 peer", peer: "[2001:db8:1::1]:443", xff: []string{"198.51.100.1"}, want: "2001:db8:1::1"},
		{name: "peer just outside a trusted prefix", peer: "192.0.2.2:80", xff: []string{"198.51.100.1"}, want: "192.0.2.2"},
		{name: "no trusted proxies configured", trusted: []netip.Prefix{}, peer: "10.0.0.1:80", xff: []string{"198.51.100.1"}, want: "10.0.0.1"},

		// A trusted peer's header is read from the right, up to the first
		// untrusted hop.
		{name: "trusted peer, no header", peer: "10.0.0.1:80", want: "10.0.0.1"},
		{name: "trusted peer, empty header", peer: "10.0.0.1:80", xff: []string{""}, want: "10.0.0.1"},
		{name: "trusted peer, one hop", peer: "10.0.0.1:80", xff: []string{"203.0.113.5"}, want: "203.0.113.5"},
		{name: "single trusted address", peer: "192.0.2.1:80", xff: []string{"203.0.113.5"}, want: "203.0.113.5"},
		{name: "spoofed left-most entries are ignored", peer: "10.0.0.1:80", xff: []string{"1.1.1.1, 10.0.0.7, 203.0.113.5"}, want: "203.0.113.5"},
		{name: "several trusted hops", peer: "10.0.0.1:80", xff: []string{"1.1.1.1, 203.0.113.5, 10.0.0.3, 10.0.0.2"}, want: "203.0.113.5"},
		{name: "several header lines read as one list", peer: "10.0.0.1:80", xff: []string{"1.1.1.1", "203.0.113.5, 10.0.0.3"}, want: "203.0.113.5"},
		{name: "spoofed line first", peer: "10.0.0.1:80", xff: []string{"1.1.1.1, 10.0.0.9", "203.0.113.5"}, want: "203.0.113.5"},
		{name: "every hop trusted: the left-most", peer: "10.0.0.1:80", xff: []string{"10.0.0.5, 10.0.0.6"}, want: "10.0.0.5"},
		{name: "spaces around hops", peer: "10.0.0.1:80", xff: []string{"  1.1.1.1 ,  203.0.113.5 ,10.0.0.3  "}, want: "203.0.113.5"},

		// IPv6, and IPv4 written as IPv6.
		{name: "IPv6 proxy, IPv6 client", peer: "[2001:db8:ffff::1]:443", xff: []string{"2001:db8:1::7"}, want: "2001:db8:1::7"},
		{name: "IPv6 proxy, IPv4 client", peer: "[2001:db8:ffff::1]:443", xff: []string{"203.0.113.5"}, want: "203.0.113.5"},
		{name: "IPv4 proxy, IPv6 client behind an IPv6 proxy", peer: "10.0.0.1:80", xff: []string{"1.1.1.1, 2001:db8:1::7, 2001:db8:ffff::2"}, want: "2001:db8:1::7"},
		{name: "IPv6 outside the trusted prefix", peer: "[2001:db8:fffe::1]:443", xff: []string{"203.0.113.5"}, want: "2001:db8:fffe::1"},
		{name: "IPv4-mapped trusted peer", peer: "[::ffff:10.0.0.1]:80", xff: []string{"203.0.113.5"}, want: "203.0.113.5"},
		{name: "IPv4-mapped untrusted peer", peer: "[::ffff:203.0.113.9]:80", xff: []string{"198.51.100.1"}, want: "203.0.113.9"},
		{name: "IPv4-mapped client", peer: "10.0.0.1:80", xff: []string{"::ffff:203.0.113.5"}, want: "203.0.113.5"},
		{name: "IPv4-mapped trusted hop", peer: "10.0.0.1:80", xff: []string{"203.0.113.5, ::ffff:10.0.0.3"}, want: "203.0.113.5"},
		{name: "zone dropped", peer: "[fe80::1%eth0]:80", want: "fe80::1"},
		{name: "zoned trusted peer", trusted: []netip.Prefix{netip.MustParsePrefix("fe80::/10")}, peer: "[fe80::1%eth0]:80", xff: []string{"203.0.113.5"}, want: "203.0.113.5"},

		// Ports: stripped from the peer and from hops that carry one.
		{name: "peer without port", peer: "203.0.113.9", want: "203.0.113.9"},
		{name: "IPv6 peer without port", peer: "2001:db8:1::1", want: "2001:db8:1::1"},
		{name: "hop with port", peer: "10.0.0.1:80", xff: []string{"203.0.113.5:4711"}, want: "203.0.113.5"},
		{name: "IPv6 hop with port", peer: "10.0.0.1:80", xff: []string{"[2001:db8:1::7]:443"}, want: "2001:db8:1::7"},
		{name: "trusted hop with port", peer: "10.0.0.1:80", xff: []string{"203.0.113.5, 10.0.0.3:8080"}, want: "203.0.113.5"},

		// A hop that is not an address ends the walk at the last trusted
		// proxy: nothing left of it is believed.
		{name: "garbage only", peer: "10.0.0.1:80", xff: []string{"garbage"}, want: "10.0.0.1"},
		{name: "garbage after the client", peer: "10.0.0.1:80", xff: []string{"203.0.113.5, unknown"}, want: "10.0.0.1"},
		{name: "garbage behind a trusted hop", peer: "10.0.0.1:80", xff: []string{"203.0.113.5, garbage, 10.0.0.3"}, want: "10.0.0.3"},
		{name: "garbage left of the client", peer: "10.0.0.1:80", xff: []string{"garbage, 203.0.113.5"}, want: "203.0.113.5"},
		{name: "empty hop", peer: "10.0.0.1:80", xff: []string{"203.0.113.5,,10.0.0.3"}, want: "10.0.0.3"},
		{name: "prefix instead of an address", peer: "10.0.0.1:80", xff: []string{"203.0.113.0/24"}, want: "10.0.0.1"},
		{name: "address with garbage", peer: "10.0.0.1:80", xff: []string{"203.0.113.5 x"}, want: "10.0.0.1"},
		{name: "out-of-range octet", peer: "10.0.0.1:80", xff: []string{"203.0.113.256"}, want: "10.0.0.1"},
		{name: "bad port", peer: "10.0.0.1:80", xff: []string{"203.0.113.5:99999"}, want: "10.0.0.1"},
		{name: "unbracketed IPv6 with port is an address", peer: "10.0.0.1:80", xff: []string{"2001:db8::7:443"}, want: "2001:db8::7:443"},
		{name: "peer not an address", peer: "@unix", xff: []string{"203.0.113.5"}, want: "@unix"},
		{name: "peer empty", peer: "", xff: []string{"203.0.113.5"}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trusted := tt.trusted
			if trusted == nil {
				trusted = trustedForTest
			}
			if got := clientIP(t, trusted, tt.peer, tt.xff...); got != tt.want {
				t.Errorf("peer %q, X-Forwarded-For %q: client %q, want %q", tt.peer, tt.xff, got, tt.want)
			}
		})
	}
}

// FuzzRealIP: whatever the header says, a peer outside the trusted
// prefixes is the client, and a trusted peer's client is the peer or one
// of the header's hops.
func FuzzRealIP(f *testing.F) {
	f.Add("203.0.113.9:1", "198.51.100.1, 10.0.0.2")
	f.Add("10.0.0.1:80", "1.1.1.1, 203.0.113.5, 10.0.0.3")
	f.Add("[2001:db8:ffff::1]:443", "[2001:db8:1::7]:443")
	f.Add("[::ffff:10.0.0.1]:80", "garbage, ::ffff:203.0.113.5")
	f.Fuzz(func(t *testing.T, peer, xff string) {
		got := clientIP(t, trustedForTest, peer, xff)
		host := peer
		if h, _, err := net.SplitHostPort(peer); err == nil {
			host = h
		}
		p, err := netip.ParseAddr(host)
		if err != nil {
			if got != peer {
				t.Fatalf("peer %q is no address, yet the client became %q", peer, got)
			}
			return
		}
		peerIP := p.Unmap().WithZone("").String()
		if !trustedPeer(p) {
			if got != peerIP {
				t.Fatalf("untrusted peer %q, X-Forwarded-For %q: client %q, want the peer", peer, xff, got)
			}
			return
		}
		var hops []string
		for hop := range strings.SplitSeq(xff, ",") {
			if a, ok := parseHop(hop); ok {
				hops = append(hops, a.Unmap().WithZone("").String())
			}
		}
		if got != peerIP && !slices.Contains(hops, got) {
			t.Fatalf("trusted peer %q, X-Forwarded-For %q: client %q is neither the peer nor a hop", peer, xff, got)
		}
	})
}

func trustedPeer(a netip.Addr) bool {
	for _, p := range trustedForTest {
		if p.Contains(a.Unmap().WithZone("")) {
			return true
		}
	}
	return false
}
