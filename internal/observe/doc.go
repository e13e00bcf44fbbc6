// Package observe is what an operator sees of a running server besides its
// responses: Prometheus metrics (Metrics, the pool collectors), the admin
// handler that serves them with net/http/pprof (AdminHandler), and the
// buffered writer under the JSON log (LogBuffer).
//
// Invariants:
//   - Nothing registers with prometheus.DefaultRegisterer or serves on
//     http.DefaultServeMux: serve creates one Registry (NewRegistry) and
//     hands it down, and AdminHandler is the only handler that exposes it.
//     AdminHandler belongs on its own listener (ADMIN_ADDR), never on the
//     public one.
//   - Every label has a bounded set of values: a route is the router's
//     pattern, never the raw path; a method outside the standard ones is
//     "OTHER"; results, limits and outcomes are this package's constants.
//   - It holds no pool and opens no connection: the pool collectors read
//     statistics through functions the wiring hands them.
package observe
