package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLoginDelay(t *testing.T) {
	const maxDelay = 4 * time.Second
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0},
		{9, 0},
		{10, 500 * time.Millisecond},
		{11, time.Second},
		{12, 2 * time.Second},
		{13, maxDelay},
		{14, maxDelay},
		{1_000_000, maxDelay},
	}
	for _, tt := range tests {
		if got := loginDelay(tt.failures, 10, maxDelay); got != tt.want {
			t.Errorf("loginDelay(%d failures, 10 free, %v) = %v, want %v", tt.failures, maxDelay, got, tt.want)
		}
	}
}

// TestClientOf: IPv4 clients count alone, IPv6 clients by their /64.
func TestClientOf(t *testing.T) {
	tests := []struct{ a, b string }{
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"},
		{"2001:db8:1:2::1", "2001:db8:1:2:abcd::9"},
	}
	for _, tt := range tests {
		if clientOf(remote(tt.a)) != clientOf(remote(tt.b)) {
			t.Errorf("%s and %s (one /64) are different clients", tt.a, tt.b)
		}
	}
	distinct := []struct{ a, b string }{
		{"2001:db8:1:2::1", "2001:db8:1:3::1"},
		{"203.0.113.1", "203.0.113.2"},
		{"::ffff:203.0.113.1", "203.0.113.2"},
	}
	for _, tt := range distinct {
		if clientOf(remote(tt.a)) == clientOf(remote(tt.b)) {
			t.Errorf("%s and %s are one client", tt.a, tt.b)
		}
	}
}

func remote(addr string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/auth/login", nil)
	r.RemoteAddr = addr // as realIP leaves it
	return r
}

func TestWindow(t *testing.T) {
	w := newWindow(time.Hour)
	a, b := counterKey("login", "a@example.com", "203.0.113.1"), counterKey("login", "a@example.com")
	for i := 1; i <= 3; i++ {
		if n, err := w.add(a, 1); err != nil || n != i {
			t.Fatalf("add #%d: %d, %v; want %d", i, n, err, i)
		}
	}
	if n, err := w.add(a, -1); err != nil || n != 2 {
		t.Errorf("taking one back: %d, %v; want 2", n, err)
	}
	if n, err := w.count(b); err != nil || n != 0 {
		t.Errorf("another key: %d, %v; want 0", n, err)
	}
	if n, err := w.add(b, -1); err != nil || n != 0 {
		t.Errorf("below zero: %d, %v; want 0", n, err)
	}
}
