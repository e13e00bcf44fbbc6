package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/httprate"
)

// RateLimits bounds guessing on the credential endpoints (login, signup):
// per client IP, and per account for login, in fixed one-minute windows.
// Counters live in the process; with several instances each counts alone
// (swap in httprate's Redis counter to share them).
type RateLimits struct {
	AuthPerIP       int // requests per minute per IP to /api/auth/*
	LoginPerAccount int // login attempts per minute per email
}

// The limits a zero RateLimits field takes.
const (
	DefaultAuthPerIP       = 30
	DefaultLoginPerAccount = 10
)

type limiters struct {
	ip      *httprate.RateLimiter
	account *httprate.RateLimiter
}

func newLimiters(rl RateLimits) limiters {
	if rl.AuthPerIP <= 0 {
		rl.AuthPerIP = DefaultAuthPerIP
	}
	if rl.LoginPerAccount <= 0 {
		rl.LoginPerAccount = DefaultLoginPerAccount
	}
	return limiters{
		ip:      httprate.NewRateLimiter(rl.AuthPerIP, time.Minute),
		account: httprate.NewRateLimiter(rl.LoginPerAccount, time.Minute),
	}
}

var errRateLimited = errorf(http.StatusTooManyRequests, "rate_limited", "Too many attempts; wait a minute and try again.")

// limitByIP refuses a client IP's requests past its budget with 429.
// r.RemoteAddr is the client's address (realIP ran before).
func (s *Server) limitByIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.limits.ip.OnLimit(w, r, "ip:"+r.RemoteAddr) {
			s.writeError(w, r, errRateLimited)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitAccount counts one login attempt against email's budget and reports
// a 429 error when it is spent. Unknown emails are counted like known ones,
// so the limit reveals nothing about which exist.
func (s *Server) limitAccount(w http.ResponseWriter, r *http.Request, email string) error {
	key := "login:" + strings.ToLower(strings.TrimSpace(email))
	if len(key) > 300 {
		key = key[:300]
	}
	if s.limits.account.OnLimit(w, r, key) {
		return errRateLimited
	}
	return nil
}
