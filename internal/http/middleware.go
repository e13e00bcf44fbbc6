package httpapi

import (
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/internal/auth"
)

type requestIDKey struct{}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID gives every request an id, logged with each line and returned
// in X-Request-Id. An incoming id is kept when it is short and plain.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !plainID(id) {
			id = rand.Text()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
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

// accessLog logs one JSON line per request, and recovers panics into a 500
// (after logging them) so one bad request never takes the process down.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "panic", "panic", p, "request_id", requestIDFrom(r.Context()))
				if sw.status == 0 {
					s.writeError(sw, r, errorf(http.StatusInternalServerError, "internal_error", "Something went wrong on our side."))
				}
			}
			attrs := []any{
				"method", r.Method, "path", r.URL.Path, "status", sw.status, "bytes", sw.bytes,
				"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "ip", r.RemoteAddr,
				"request_id", requestIDFrom(r.Context()),
			}
			if p, ok := auth.PrincipalFrom(r.Context()); ok {
				attrs = append(attrs, "user_id", p.UserID)
			}
			s.log.InfoContext(r.Context(), "request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.https {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// noStore marks API responses as uncacheable: they are per caller. It runs
// outside the session middleware, which adds Cache-Control:
// no-cache="Set-Cookie" whenever it sets a cookie, and leaves exactly one
// Cache-Control: no-store (which forbids more than that) on the response.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(&noStoreWriter{ResponseWriter: w}, r)
	})
}

type noStoreWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *noStoreWriter) WriteHeader(status int) {
	if !w.wrote {
		w.wrote = true
		w.Header().Set("Cache-Control", "no-store")
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

// timeout bounds the work of one request through its context.
func timeout(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

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
				hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
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
			}
			if client.IsValid() {
				r.RemoteAddr = client.Unmap().WithZone("").String()
			}
			next.ServeHTTP(w, r)
		})
	}
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
