package httpapi

import (
	"crypto/sha256"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/httprate"

	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/observe"
)

// RateLimits bound password guessing on the credential endpoints (login,
// signup) without handing the guesser a way to lock anyone out. A client
// is an IPv4 address or an IPv6 /64 (a subscriber usually holds a whole
// /64: keyed by full address, it would have 2^64 fresh budgets).
//
//   - AuthPerIP: sign-up and login requests per minute per client, counted
//     before anything else; over it, 429.
//   - LoginPerAccount: failed logins per minute for one account from one
//     client; over it, that client gets 429 for that account. Successes do
//     not count, and other clients are not affected: a thousand wrong
//     passwords from the attacker's address never block the owner's right
//     one from theirs. (Clients behind one NAT share an address, so a
//     guesser there can hold the account for that network, not elsewhere.)
//   - LoginSlowAfter: failed logins for one account from all clients
//     together in a sliding 15 minutes; past it, every login for the account
//     waits before its password is checked: LoginMaxDelay/8, doubling with
//     each further failure up to LoginMaxDelay.
//
// The last one answers guessing spread over many addresses, and it slows
// rather than refuses on purpose: a per-account limit that refuses is one
// the attacker can spend to lock the owner out. Here the owner waits a few
// seconds at most, like every other attempt, and the wait comes before the
// password check, so it says nothing about the result. It is latency, not
// a cap: a guesser with many addresses and connections at once still
// guesses in parallel, bounded by AuthPerIP per address. Credential
// stuffing (one guess for each of many accounts) meets only AuthPerIP;
// second factors and breached-password checks are what stop it.
//
// Unknown emails are counted exactly like known ones, so no limit reveals
// which accounts exist. Counters live in the process: with several
// instances each counts alone (they are httprate LimitCounters, so
// httprate-redis's can be swapped in to share them).
type RateLimits struct {
	AuthPerIP       int           // requests per minute per client to /api/auth/{signup,login}
	LoginPerAccount int           // failed logins per minute per account and client
	LoginSlowAfter  int           // failed logins per account per 15 minutes before logins to it wait
	LoginMaxDelay   time.Duration // the longest such wait; keep it well under the request timeout
	// MailPerAddress: verification and reset mails requested for one
	// address per hour, from all clients together; past it the routes
	// still answer 202 but send nothing (a refusal would tell the
	// requester something, and the owner could be locked out by it).
	MailPerAddress int
}

// The limits a zero RateLimits field takes.
const (
	DefaultAuthPerIP       = 30
	DefaultLoginPerAccount = 10
	DefaultLoginSlowAfter  = 10
	DefaultLoginMaxDelay   = 3 * time.Second
	DefaultMailPerAddress  = 5
)

// accountFailureWindow is the window LoginSlowAfter counts in.
const accountFailureWindow = 15 * time.Minute

type limiters struct {
	ip *httprate.RateLimiter

	perClient      int
	clientFailures window // per account and client, one minute

	freeFailures    int
	maxDelay        time.Duration
	accountFailures window // per account, accountFailureWindow

	mailPerAddress int
	addressMails   window // per address, one hour
}

func newLimiters(rl RateLimits) limiters {
	if rl.AuthPerIP <= 0 {
		rl.AuthPerIP = DefaultAuthPerIP
	}
	if rl.LoginPerAccount <= 0 {
		rl.LoginPerAccount = DefaultLoginPerAccount
	}
	if rl.LoginSlowAfter <= 0 {
		rl.LoginSlowAfter = DefaultLoginSlowAfter
	}
	if rl.LoginMaxDelay <= 0 {
		rl.LoginMaxDelay = DefaultLoginMaxDelay
	}
	if rl.MailPerAddress <= 0 {
		rl.MailPerAddress = DefaultMailPerAddress
	}
	return limiters{
		ip:              httprate.NewRateLimiter(rl.AuthPerIP, time.Minute),
		perClient:       rl.LoginPerAccount,
		clientFailures:  newWindow(time.Minute),
		freeFailures:    rl.LoginSlowAfter,
		maxDelay:        rl.LoginMaxDelay,
		accountFailures: newWindow(accountFailureWindow),
		mailPerAddress:  rl.MailPerAddress,
		addressMails:    newWindow(time.Hour),
	}
}

var errRateLimited = errorf(http.StatusTooManyRequests, "rate_limited", "Too many attempts; wait a minute and try again.")

// clientOf is the client a request counts against: its IP (realIP ran
// before), or its /64 for IPv6.
func clientOf(r *http.Request) string {
	return httprate.CanonicalizeIP(r.RemoteAddr)
}

// limitByIP refuses a client's requests past its budget with 429.
func (s *Server) limitByIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.limits.ip.OnLimit(w, r, "ip:"+clientOf(r)) {
			s.metrics.RateLimited(observe.LimitAuthPerIP)
			s.writeError(w, r, errRateLimited)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loginAttempt is one login's hold on the limits, from startLogin to
// endLogin.
type loginAttempt struct {
	client  string // counter key: the account from this client
	account string // counter key: the account from anywhere
}

// startLogin admits a login attempt for email from r's client before its
// password is checked. It refuses with 429 when this client has spent its
// failures for the account, and otherwise waits as long as the account's
// recent failures ask (see RateLimits). The attempt counts as a failure
// of this client until endLogin learns otherwise, so concurrent attempts
// cannot overrun the budget.
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request, email string) (loginAttempt, error) {
	l := &s.limits
	account := strings.ToLower(strings.TrimSpace(email))
	a := loginAttempt{
		client:  counterKey("login", account, clientOf(r)),
		account: counterKey("login", account),
	}
	n, err := l.clientFailures.add(a.client, 1)
	if err != nil {
		return loginAttempt{}, err
	}
	if n > l.perClient {
		_, _ = l.clientFailures.add(a.client, -1)
		s.metrics.RateLimited(observe.LimitLoginPerAccount)
		w.Header().Set("Retry-After", strconv.Itoa(int(time.Minute.Seconds())))
		return loginAttempt{}, errRateLimited
	}
	failures, err := l.accountFailures.count(a.account)
	if err == nil {
		delay := loginDelay(failures, l.freeFailures, l.maxDelay)
		if delay > 0 {
			s.metrics.RateLimitDelayed(observe.LimitLoginSlowAfter)
		}
		err = sleep(r, delay)
	}
	if err != nil {
		_, _ = l.clientFailures.add(a.client, -1)
		return loginAttempt{}, err
	}
	return a, nil
}

// endLogin settles an attempt once the password was checked (authErr is
// Authenticate's result): a wrong password, unknown email or disabled
// user counts against the account; anything else (a success, an outage)
// gives the client back the failure startLogin held.
func (s *Server) endLogin(r *http.Request, a loginAttempt, authErr error) {
	var err error
	if errors.Is(authErr, identity.ErrInvalidCredentials) {
		_, err = s.limits.accountFailures.add(a.account, 1)
	} else {
		_, err = s.limits.clientFailures.add(a.client, -1)
	}
	if err != nil {
		s.log.WarnContext(r.Context(), "login rate limit: count", "err", err, "request_id", RequestID(r.Context()))
	}
}

// loginDelay is how long a login waits when its account has failures
// recent failed logins: nothing while they are fewer than free, then
// max/8, max/4, max/2, and max from there on.
func loginDelay(failures, free int, maxDelay time.Duration) time.Duration {
	over := failures - free
	switch {
	case over < 0:
		return 0
	case over >= 3:
		return maxDelay
	default:
		return maxDelay >> (3 - over)
	}
}

// sleep waits d, or until the request ends.
func sleep(r *http.Request, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-r.Context().Done():
		return r.Context().Err()
	}
}

// counterKey joins parts into one counter key. It is a SHA-256 because the
// email in it is the caller's choice and httprate's counter files keys
// under a 64-bit non-cryptographic hash: hashed first, no one can craft an
// email whose counter is another account's. It also keeps addresses out of
// memory (and out of Redis, with a shared counter).
func counterKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return string(h.Sum(nil))
}

// window counts per key over a sliding window the way httprate does: the
// current fixed window, plus the previous one weighted by how much of it
// still overlaps the last length. The counts live in an
// httprate.LimitCounter.
type window struct {
	length  time.Duration
	counter httprate.LimitCounter
}

func newWindow(length time.Duration) window {
	return window{length: length, counter: httprate.NewLocalLimitCounter(length)}
}

// add adds n to key's count (a negative n takes back) and returns the
// count after it.
func (w window) add(key string, n int) (int, error) {
	if err := w.counter.IncrementBy(key, time.Now().UTC().Truncate(w.length), n); err != nil {
		return 0, err
	}
	return w.count(key)
}

// count is key's count over the last length.
func (w window) count(key string) (int, error) {
	now := time.Now().UTC()
	current := now.Truncate(w.length)
	cur, prev, err := w.counter.Get(key, current, current.Add(-w.length))
	if err != nil {
		return 0, err
	}
	overlap := float64(w.length-now.Sub(current)) / float64(w.length)
	return max(0, int(math.Round(float64(prev)*overlap+float64(cur)))), nil
}
