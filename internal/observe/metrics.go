package observe

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tenantkit/tenantkit/internal/session"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

// NewRegistry returns the registry serve creates once and hands down: the
// Go runtime and process collectors, and whatever the server adds.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Limits as RateLimited and RateLimitDelayed name them: the settings that
// set them, without the RATE_LIMIT_ prefix.
const (
	LimitAuthPerIP       = "auth_per_ip"       // sign-up and login requests per client
	LimitLoginPerAccount = "login_per_account" // failed logins per account and client
	LimitLoginSlowAfter  = "login_slow_after"  // failed logins per account: logins wait
	LimitMailPerAddress  = "mail_per_address"  // verification and reset mails per address: not sent
)

// Outcomes of a tenant transaction, as ObserveTenantTx takes them; any
// other is counted as "other".
const (
	TxCommit   = tenancy.TxCommit
	TxRollback = tenancy.TxRollback
	TxError    = tenancy.TxError
)

// durationBuckets (seconds) suit requests and transactions alike: most
// take a millisecond or less, and the request timeout (15s by default)
// bounds the rest.
var durationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15}

// Metrics are the server's own metrics. A nil *Metrics records nothing, so
// code wired without metrics (tests, `server users disable`) needs no
// checks.
type Metrics struct {
	requests   *prometheus.HistogramVec // method, route, status
	lookups    *prometheus.CounterVec   // result
	rejections *prometheus.CounterVec   // limit
	delays     *prometheus.CounterVec   // limit
	tenantTx   *prometheus.HistogramVec // outcome
	// statuses are the status labels, "100" to "599", made once: the
	// request path formats none.
	statuses [600]string
}

// NewMetrics creates the server's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tenantkit_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its handler's return, by method, route pattern (\"unmatched\" when no route matched) and status code.",
			Buckets: durationBuckets,
		}, []string{"method", "route", "status"}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantkit_session_lookups_total",
			Help: "Requests whose session was looked up, by result: found, none (no cookie), unknown (a cookie the store does not hold), expired, revoked, corrupt or error (the store failed: 503).",
		}, []string{"result"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantkit_rate_limit_rejections_total",
			Help: "Requests refused with 429, by the limit they went over.",
		}, []string{"limit"}),
		delays: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantkit_rate_limit_delays_total",
			Help: "Logins made to wait before their password was checked, by the limit that slowed them.",
		}, []string{"limit"}),
		tenantTx: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tenantkit_tenant_tx_duration_seconds",
			Help:    "Time a tenant transaction held its connection, from acquiring it to commit or rollback, by outcome: commit, rollback (the handler failed, or no membership), error (the database failed).",
			Buckets: durationBuckets,
		}, []string{"outcome"}),
	}
	for code := 100; code < len(m.statuses); code++ {
		m.statuses[code] = strconv.Itoa(code)
	}
	// Series that exist from the start, at zero, so a rate over them is
	// defined before the first event.
	for _, r := range session.LookupResults() {
		m.lookups.WithLabelValues(string(r))
	}
	for _, l := range []string{LimitAuthPerIP, LimitLoginPerAccount, LimitMailPerAddress} {
		m.rejections.WithLabelValues(l)
	}
	m.delays.WithLabelValues(LimitLoginSlowAfter)
	for _, o := range []string{TxCommit, TxRollback, TxError} {
		m.tenantTx.WithLabelValues(o)
	}

	var errs []error
	for _, c := range []prometheus.Collector{m.requests, m.lookups, m.rejections, m.delays, m.tenantTx} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// ObserveRequest records one finished request. route is the pattern the
// router matched ("/api/t/{tenant}/projects/{id}"), never the raw path;
// "" when none did.
func (m *Metrics) ObserveRequest(method, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(methodLabel(method), route, m.statusLabel(status)).Observe(d.Seconds())
}

// SessionLookup counts one request's session lookup; session.Manager
// reports them (ObserveLookups).
func (m *Metrics) SessionLookup(r session.LookupResult) {
	if m == nil {
		return
	}
	m.lookups.WithLabelValues(string(r)).Inc()
}

// RateLimited counts a request refused by limit (LimitAuthPerIP,
// LimitLoginPerAccount), or whose mail LimitMailPerAddress held back.
func (m *Metrics) RateLimited(limit string) {
	if m == nil {
		return
	}
	m.rejections.WithLabelValues(limit).Inc()
}

// RateLimitDelayed counts a login made to wait by limit
// (LimitLoginSlowAfter).
func (m *Metrics) RateLimitDelayed(limit string) {
	if m == nil {
		return
	}
	m.delays.WithLabelValues(limit).Inc()
}

// ObserveTenantTx records one tenant transaction: how long it held its
// connection and how it ended (TxCommit, TxRollback, TxError; anything
// else counts as "other").
func (m *Metrics) ObserveTenantTx(d time.Duration, outcome string) {
	if m == nil {
		return
	}
	switch outcome {
	case TxCommit, TxRollback, TxError:
	default:
		outcome = "other"
	}
	m.tenantTx.WithLabelValues(outcome).Observe(d.Seconds())
}

func (m *Metrics) statusLabel(code int) string {
	if code >= 100 && code < len(m.statuses) {
		return m.statuses[code]
	}
	return "other"
}

// methodLabel keeps the method label bounded: a client may send any token
// as its method.
func methodLabel(method string) string {
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE":
		return method
	}
	return "OTHER"
}

// NewCallerCacheCounters reports identity's caller cache
// (identity.Service.CallerCacheStats, read at each scrape) as
// tenantkit_caller_cache_lookups_total{result="hit"|"miss"}.
func NewCallerCacheCounters(stats func() (hits, misses uint64)) []prometheus.Collector {
	counter := func(result string, value func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "tenantkit_caller_cache_lookups_total",
			Help:        "Caller lookups (GET /api/me, the pages) by result: hit (answered from memory) or miss (read the database; also every lookup while the server is not listening for changes). Neither counts when CALLER_CACHE_TTL=0.",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 { return float64(value()) })
	}
	return []prometheus.Collector{
		counter("hit", func() uint64 { h, _ := stats(); return h }),
		counter("miss", func() uint64 { _, m := stats(); return m }),
	}
}
