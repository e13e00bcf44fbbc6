package observe

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AdminHandler serves the operator's endpoints, for a listener of their
// own (ADMIN_ADDR), never the public one:
//
//	GET /metrics         the metrics g gathers, in the Prometheus text format
//	/debug/pprof/…       net/http/pprof: profiles, goroutines, heap, trace
//
// The pprof handlers are mounted here by name. Importing net/http/pprof
// also registers them on http.DefaultServeMux (the package's init); the
// server never serves http.DefaultServeMux, so they are reachable only
// through this handler (a test of the public handler checks it).
func AdminHandler(g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index) // and each named profile: /debug/pprof/heap, …
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
