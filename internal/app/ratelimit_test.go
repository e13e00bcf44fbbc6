package app_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/apptest"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
)

// The login limits must stop guessing without handing the guesser a way to
// lock the owner out. Each test plays the attack its limit defeats. The
// test server's peer is loopback; trusting it as a proxy lets a test speak
// from any client address through X-Forwarded-For.

// withLimits rebuilds e's app with loopback trusted as a proxy and limits.
func withLimits(e *apptest.Env, limits httpapi.RateLimits) {
	e.T.Helper()
	e.Rebuild(func(c *app.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		c.RateLimits = limits
	})
}

// loginFrom tries email and password from the client address ip, and
// returns the response and how long it took.
func loginFrom(c *apptest.Client, ip, email, password string) (apptest.Response, time.Duration) {
	start := time.Now()
	r := c.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": password},
		apptest.Header{Key: "X-Forwarded-For", Value: ip})
	return r, time.Since(start)
}

const wrongPassword = "wrong horse battery staple"

// isRateLimited reports a 429 rate_limited with a Retry-After.
func isRateLimited(t *testing.T, r apptest.Response) bool {
	t.Helper()
	return r.Status == http.StatusTooManyRequests && r.Code(t) == "rate_limited" && r.Header.Get("Retry-After") != ""
}

// TestLoginLockout: fifty wrong passwords for an account from one address
// stop that address, and only it: the owner's right password from their
// own address still signs in. (Before: one budget per email for every
// client, so the owner got 429.) Unknown emails are held alike, so the
// limit reveals nothing about which accounts exist.
func TestLoginLockout(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	owner := e.Signup("owner")
	withLimits(e, httpapi.RateLimits{AuthPerIP: 1000, LoginPerAccount: 3})

	for _, tt := range []struct{ name, email, attacker string }{
		{"known email", owner.Email, "203.0.113.66"},
		{"unknown email", "nobody-" + owner.Email, "203.0.113.67"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := e.Client()
			for i := range 50 {
				r, _ := loginFrom(c, tt.attacker, tt.email, wrongPassword)
				switch {
				case i < 3 && r.Status != http.StatusUnauthorized:
					t.Fatalf("wrong password #%d: %d %s, want 401", i+1, r.Status, r.Body)
				case i >= 3 && !isRateLimited(t, r):
					t.Fatalf("wrong password #%d, past the client's budget of 3: %d %s (Retry-After %q), want 429 rate_limited with Retry-After",
						i+1, r.Status, r.Body, r.Header.Get("Retry-After"))
				}
			}
		})
	}
	// The attacker's address stays held for the account, even with the
	// right password.
	if r, _ := loginFrom(e.Client(), "203.0.113.66", owner.Email, apptest.Password); !isRateLimited(t, r) {
		t.Errorf("right password from the attacker's address: %d %s, want 429", r.Status, r.Body)
	}

	// The owner, from an address that has not failed, is let in.
	r, _ := loginFrom(e.Client(), "198.51.100.7", owner.Email, apptest.Password)
	if r.Status != http.StatusOK {
		t.Errorf("the owner's right password from another address after 50 wrong ones from the attacker's: %d %s, want 200", r.Status, r.Body)
	}
}

// TestLoginSuccessesDoNotCount: the per-client budget is for failures, so
// a client that keeps signing in correctly (a script, a shared machine) is
// never held; its failures still are.
func TestLoginSuccessesDoNotCount(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	u := e.Signup("often")
	withLimits(e, httpapi.RateLimits{AuthPerIP: 1000, LoginPerAccount: 2})
	c := e.Client()
	for i := range 6 {
		if r, _ := loginFrom(c, "203.0.113.10", u.Email, apptest.Password); r.Status != http.StatusOK {
			t.Fatalf("right password #%d: %d %s, want 200", i+1, r.Status, r.Body)
		}
	}
	for i := range 2 {
		if r, _ := loginFrom(c, "203.0.113.10", u.Email, wrongPassword); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password #%d: %d %s, want 401", i+1, r.Status, r.Body)
		}
	}
	if r, _ := loginFrom(c, "203.0.113.10", u.Email, apptest.Password); !isRateLimited(t, r) {
		t.Errorf("right password after two failures under a budget of 2: %d %s, want 429", r.Status, r.Body)
	}
}

// TestLoginSlowsDistributedGuessing: guesses for one account from many
// addresses, each under its own budget, make every further login for the
// account wait (max/8, doubling to max) and never refuse it, so the owner
// still signs in, a little later. (Before: the per-email budget refused
// everyone after its 3 attempts, the owner too.) An unknown email is slowed
// alike.
func TestLoginSlowsDistributedGuessing(t *testing.T) {
	const (
		free     = 4
		maxDelay = 400 * time.Millisecond
	)
	e := apptest.New(t, apptest.Options{})
	owner := e.Signup("stuffed")
	withLimits(e, httpapi.RateLimits{AuthPerIP: 1000, LoginPerAccount: 3, LoginSlowAfter: free, LoginMaxDelay: maxDelay})

	// want is the least a login waits after failures failures.
	want := func(failures int) time.Duration {
		switch over := failures - free; {
		case over < 0:
			return 0
		case over >= 3:
			return maxDelay
		default:
			return maxDelay >> (3 - over)
		}
	}
	for n, email := range []string{owner.Email, "nobody-" + owner.Email} {
		c := e.Client()
		for i := range free + 5 {
			ip := fmt.Sprintf("198.18.%d.%d", n, i+1) // a new address each time
			r, took := loginFrom(c, ip, email, wrongPassword)
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("%s: guess #%d, from a new address: %d %s, want 401 (slowed, never refused)", email, i+1, r.Status, r.Body)
			}
			if took < want(i) {
				t.Errorf("%s: guess #%d after %d failures took %v, want at least %v", email, i+1, i, took, want(i))
			}
		}
	}

	r, took := loginFrom(e.Client(), "198.51.100.7", owner.Email, apptest.Password)
	if r.Status != http.StatusOK {
		t.Fatalf("the owner's right password during the attack: %d %s, want 200", r.Status, r.Body)
	}
	if took < maxDelay {
		t.Errorf("the owner's login during the attack took %v, want at least %v: every attempt waits alike, so the wait says nothing about the password", took, maxDelay)
	}
}

// TestLimitsKeyIPv6By64: an IPv6 subscriber holds a whole /64, so an
// address within it is no new client, for the per-IP limit and for an
// account's per-client budget; the next /64 is. (Before: the full address
// was the key, and rotating it bought a fresh budget every request.)
func TestLimitsKeyIPv6By64(t *testing.T) {
	t.Run("per IP", func(t *testing.T) {
		e := apptest.New(t, apptest.Options{})
		withLimits(e, httpapi.RateLimits{AuthPerIP: 3, LoginPerAccount: 1000})
		c := e.Client()
		for i := range 3 {
			ip := fmt.Sprintf("2001:db8:1:2::%x", i+1)
			if r, _ := loginFrom(c, ip, fmt.Sprintf("guess%d@example.com", i), wrongPassword); r.Status != http.StatusUnauthorized {
				t.Fatalf("request #%d from %s: %d %s, want 401", i+1, ip, r.Status, r.Body)
			}
		}
		for _, ip := range []string{"2001:db8:1:2::4", "2001:db8:1:2:ffff:ffff:ffff:ffff"} {
			if r, _ := loginFrom(c, ip, "guess@example.com", wrongPassword); !isRateLimited(t, r) {
				t.Errorf("4th request from the /64, from %s: %d %s, want 429", ip, r.Status, r.Body)
			}
		}
		r := c.Do("POST", "/api/auth/signup", map[string]string{"email": "x@example.com"}, apptest.Header{Key: "X-Forwarded-For", Value: "2001:db8:1:2::5"})
		if !isRateLimited(t, r) {
			t.Errorf("sign-up from the spent /64: %d %s, want 429", r.Status, r.Body)
		}
		for _, ip := range []string{"2001:db8:1:3::1", "203.0.113.1"} {
			if r, _ := loginFrom(c, ip, "guess@example.com", wrongPassword); r.Status != http.StatusUnauthorized {
				t.Errorf("from %s, another client: %d %s, want 401", ip, r.Status, r.Body)
			}
		}
	})
	t.Run("per account and client", func(t *testing.T) {
		e := apptest.New(t, apptest.Options{})
		owner := e.Signup("six")
		withLimits(e, httpapi.RateLimits{AuthPerIP: 1000, LoginPerAccount: 3})
		c := e.Client()
		for i := range 3 {
			ip := fmt.Sprintf("2001:db8:66:1::%x", i+1)
			if r, _ := loginFrom(c, ip, owner.Email, wrongPassword); r.Status != http.StatusUnauthorized {
				t.Fatalf("guess #%d from %s: %d %s, want 401", i+1, ip, r.Status, r.Body)
			}
		}
		if r, _ := loginFrom(c, "2001:db8:66:1:abcd::1", owner.Email, wrongPassword); !isRateLimited(t, r) {
			t.Errorf("4th guess from the same /64: %d %s, want 429", r.Status, r.Body)
		}
		if r, _ := loginFrom(e.Client(), "2001:db8:77:1::1", owner.Email, apptest.Password); r.Status != http.StatusOK {
			t.Errorf("the owner from another /64: %d %s, want 200", r.Status, r.Body)
		}
	})
}
