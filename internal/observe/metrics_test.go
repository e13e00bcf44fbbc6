package observe

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tenantkit/tenantkit/internal/session"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.ObserveRequest("GET", "/api/t/{tenant}/projects", 200, 3*time.Millisecond)
	m.ObserveRequest("BREW", "", 404, time.Millisecond) // a made-up method, no route
	m.ObserveRequest("GET", "/healthz", 0, time.Millisecond)
	m.SessionLookup(session.LookupFound)
	m.SessionLookup(session.LookupFound)
	m.RateLimited(LimitAuthPerIP)
	m.RateLimitDelayed(LimitLoginSlowAfter)
	m.ObserveTenantTx(2*time.Millisecond, TxCommit)
	m.ObserveTenantTx(time.Millisecond, "exploded") // not one of ours

	wantLines(t, scrape(t, reg),
		`tenantkit_http_request_duration_seconds_count{method="GET",route="/api/t/{tenant}/projects",status="200"} 1`,
		`tenantkit_http_request_duration_seconds_bucket{method="GET",route="/api/t/{tenant}/projects",status="200",le="0.0025"} 0`,
		`tenantkit_http_request_duration_seconds_bucket{method="GET",route="/api/t/{tenant}/projects",status="200",le="0.005"} 1`,
		`tenantkit_http_request_duration_seconds_count{method="OTHER",route="unmatched",status="404"} 1`,
		`tenantkit_http_request_duration_seconds_count{method="GET",route="/healthz",status="other"} 1`,
		`tenantkit_session_lookups_total{result="found"} 2`,
		`tenantkit_session_lookups_total{result="error"} 0`, // every result exists from the start
		`tenantkit_rate_limit_rejections_total{limit="auth_per_ip"} 1`,
		`tenantkit_rate_limit_rejections_total{limit="login_per_account"} 0`,
		`tenantkit_rate_limit_delays_total{limit="login_slow_after"} 1`,
		`tenantkit_tenant_tx_duration_seconds_count{outcome="commit"} 1`,
		`tenantkit_tenant_tx_duration_seconds_count{outcome="other"} 1`,
		`tenantkit_tenant_tx_duration_seconds_count{outcome="rollback"} 0`,
	)

	// A second set on the same registry is refused, not a panic.
	if _, err := NewMetrics(reg); err == nil {
		t.Error("NewMetrics twice on one registry: want an error")
	}
}

// TestNilMetrics: code wired without metrics calls them all the same.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.ObserveRequest("GET", "/", 200, time.Millisecond)
	m.SessionLookup(session.LookupNone)
	m.RateLimited(LimitAuthPerIP)
	m.RateLimitDelayed(LimitLoginSlowAfter)
	m.ObserveTenantTx(time.Millisecond, TxCommit)
}

// TestObserveRequestAllocatesNothing: the request path formats no label.
func TestObserveRequestAllocatesNothing(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	m.ObserveRequest("GET", "/api/me", 200, time.Millisecond) // the series exists
	if n := testing.AllocsPerRun(100, func() { m.ObserveRequest("GET", "/api/me", 200, time.Millisecond) }); n != 0 {
		t.Errorf("ObserveRequest: %v allocations, want 0", n)
	}
}

func TestNewRegistry(t *testing.T) {
	got := scrape(t, NewRegistry())
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(got, "\n"+name+" ") {
			t.Errorf("the registry has no %s", name)
		}
	}
}
