package httpapi

import (
	"context"
	"crypto/rand"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/auth"
)

// requestInfo is what the outer middleware keeps about a request, on its
// context: its id, and the route pattern it matched, for the access log
// and the request metrics. One allocation per request holds it all.
type requestInfo struct {
	id string
	// idHeader backs the X-Request-Id header's value, saving the header
	// its own allocation.
	idHeader [1]string
	// route is the pattern chi matched ("/api/t/{tenant}/projects"), set
	// by handle or recordRoute; "" when no route matched.
	route string
	// user is the authenticated caller, set by handle: the principal is
	// on the handler's context, which the outer middleware never sees.
	user uuid.UUID
	sw   statusWriter
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// RequestID is the id of the request ctx belongs to (the X-Request-Id it
// answers with), or "" outside a request. Jobs carry it to their logs.
func RequestID(ctx context.Context) string {
	if info := requestInfoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// requestContext gives every request an id, logged with each line and
// returned in X-Request-Id, and a deadline d away that bounds its work. An
// incoming id is kept when it is short and plain. (One middleware for
// both, so the request is copied once.)
func requestContext(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get("X-Request-Id")
			if !plainID(id) {
				id = rand.Text()
			}
			info := &requestInfo{id: id}
			info.idHeader[0] = id
			w.Header()["X-Request-Id"] = info.idHeader[:]
			ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), requestInfoKey{}, info), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// recordRoute notes the route pattern chi matched, for a request that
// handle did not see (refused by middleware inside the router, or by the
// router itself). It is the router's first middleware, so the pattern is
// complete when next returns.
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if info := requestInfoFrom(r.Context()); info != nil && info.route == "" {
			info.route = chi.RouteContext(r.Context()).RoutePattern()
		}
	})
}

// noteHandler notes, for the access log and metrics, the pattern of the
// route serving r (chi has set it in r.Pattern already, so this costs no
// allocation) and the caller, if authenticated.
func noteHandler(r *http.Request) {
	if info := requestInfoFrom(r.Context()); info != nil {
		info.route = r.Pattern
		if p, ok := auth.PrincipalFrom(r.Context()); ok {
			info.user = p.UserID
		}
	}
}

func plainID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusWriter records the status code for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog logs one JSON line per request (every failed one, and
// Config.AccessLogDrop spares that fraction of the successful ones),
// records it in the request metrics, and recovers panics into a 500 (after
// logging them) so one bad request never takes the process down.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := requestInfoFrom(r.Context())
		if info == nil { // accessLog without requestContext (a test)
			info = &requestInfo{}
		}
		sw := &info.sw
		sw.ResponseWriter = w
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "panic", "panic", p, "request_id", info.id)
				if sw.status == 0 {
					s.writeError(sw, r, errorf(http.StatusInternalServerError, "internal_error", "Something went wrong on our side."))
				}
			}
			d := time.Since(start)
			status := sw.status
			if status == 0 {
				status = http.StatusOK // what net/http sends for a handler that wrote nothing
			}
			s.metrics.ObserveRequest(r.Method, info.route, status, d)
			if status < 400 && s.logDrop > 0 && mathrand.Float64() < s.logDrop { //nolint:gosec // G404: a sample of log lines, not a secret
				return
			}
			// LogAttrs: typed attributes, none boxed into an interface.
			attrs := [9]slog.Attr{
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.status),
				slog.Int("bytes", sw.bytes), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
				slog.String("ip", r.RemoteAddr), slog.String("request_id", info.id),
			}
			n := 7
			if info.user != uuid.Nil {
				attrs[n] = slog.String("user_id", info.user.String())
				n++
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs[:n]...)
		}()
		next.ServeHTTP(sw, r)
	})
}

// securityHeaders sets the headers every response carries.
//
// Each header's value is one slice that every response shares (see
// sharedValue), which saves an allocation per header per request.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	type header struct {
		key   string // in canonical form: set directly in the map
		value []string
	}
	headers := []header{
		{"X-Content-Type-Options", sharedValue("nosniff")},
		{"X-Frame-Options", sharedValue("DENY")},
		{"Content-Security-Policy", sharedValue("default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")},
		{"Referrer-Policy", sharedValue("strict-origin-when-cross-origin")},
		{"Cross-Origin-Opener-Policy", sharedValue("same-origin")},
	}
	if s.https {
		headers = append(headers, header{"Strict-Transport-Security", sharedValue("max-age=63072000; includeSubDomains")})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, hd := range headers {
			h[hd.key] = hd.value
		}
		next.ServeHTTP(w, r)
	})
}

// sharedValue is a header value that many responses may share: its length
// and capacity are 1, so Header.Add appends to a copy, and Header.Set
// replaces the slice; no code writes a header's values in place.
func sharedValue(v string) []string { return []string{v}[:1:1] }

// noStore marks API responses as uncacheable: they are per caller. It runs
// outside the session middleware, which adds Cache-Control:
// no-cache="Set-Cookie" whenever it sets a cookie, and leaves exactly one
// Cache-Control: no-store (which forbids more than that) on the response.
func noStore(next http.Handler) http.Handler {
	noStoreValue := sharedValue("no-store")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Cache-Control"] = noStoreValue
		next.ServeHTTP(&noStoreWriter{ResponseWriter: w, value: noStoreValue}, r)
	})
}

type noStoreWriter struct {
	http.ResponseWriter
	value []string // Cache-Control's, shared (sharedValue)
	wrote bool
}

func (w *noStoreWriter) WriteHeader(status int) {
	if !w.wrote {
		w.wrote = true
		w.Header()["Cache-Control"] = w.value
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *noStoreWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *noStoreWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// realIP sets r.RemoteAddr to the client's address, without port or IPv6
// zone. X-Forwarded-For is believed only when the direct peer is a trusted
// proxy, and then read from the right (the end each proxy appends to) only
// up to the first hop that is not itself trusted: that is the client, and
// whatever it wrote further left is ignored. A hop that is not an address
// stops the walk too, at the last trusted proxy. Rate limits and session
// IPs rest on this.
func realIP(trusted []netip.Prefix) func(http.Handler) http.Handler {
	isTrusted := func(a netip.Addr) bool {
		a = a.Unmap().WithZone("")
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				host = r.RemoteAddr
			}
			client, err := netip.ParseAddr(host)
			if err == nil && isTrusted(client) {
				client = forwardedClient(client, r.Header.Values("X-Forwarded-For"), isTrusted)
			}
			if client.IsValid() {
				client = client.Unmap().WithZone("")
				// Most peers' address is already written as String would
				// write it: keep that string rather than make another.
				var buf [64]byte
				if string(client.AppendTo(buf[:0])) == host {
					r.RemoteAddr = host
				} else {
					r.RemoteAddr = client.String()
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// forwardedClient is the client behind peer, a trusted proxy, by the
// X-Forwarded-For headers xff (see realIP). It is a function of its own so
// that the loop's closure moves only its own client to the heap, and only
// for requests from a trusted proxy.
func forwardedClient(peer netip.Addr, xff []string, isTrusted func(netip.Addr) bool) netip.Addr {
	client := peer
	hops := strings.Split(strings.Join(xff, ","), ",")
	for _, hop := range slices.Backward(hops) {
		a, ok := parseHop(hop)
		if !ok {
			break
		}
		client = a
		if !isTrusted(a) {
			break
		}
	}
	return client
}

// parseHop reads one X-Forwarded-For entry: an address, or an address and
// port as some load balancers write it ("203.0.113.7:4711",
// "[2001:db8::7]:443").
func parseHop(hop string) (netip.Addr, bool) {
	hop = strings.TrimSpace(hop)
	if a, err := netip.ParseAddr(hop); err == nil {
		return a, true
	}
	ap, err := netip.ParseAddrPort(hop)
	return ap.Addr(), err == nil
}
