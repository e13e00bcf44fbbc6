package app_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/database"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// outageProxy forwards TCP to Postgres until told to fail: then it cuts
// every open connection and either refuses new ones (closes them at once,
// like a stopped server) or swallows them (a black hole, the slow case).
type outageProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	mode  string // "up", "refuse", "hang"
	conns []net.Conn
}

func newOutageProxy(t *testing.T, target string) *outageProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &outageProxy{ln: ln, target: target, mode: "up"}
	t.Cleanup(func() { ln.Close(); p.set("refuse") })
	go p.serve()
	return p
}

func (p *outageProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode := p.mode
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		switch mode {
		case "refuse":
			c.Close()
		case "hang": // hold it open, answer nothing
		default:
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}
}

// set switches the mode and cuts every connection, forwarded or held.
func (p *outageProxy) set(mode string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = mode
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestDatabaseOutage: with Postgres unreachable, /readyz answers 503 within
// two seconds and authenticated requests 503 (never anonymous, never 500);
// both recover by themselves when it is back.
func TestDatabaseOutage(t *testing.T) {
	for _, mode := range []string{"refuse", "hang"} {
		t.Run(mode, func(t *testing.T) {
			d := dbtest.New(t)
			u, err := url.Parse(d.AppURL)
			if err != nil {
				t.Fatal(err)
			}
			proxy := newOutageProxy(t, u.Host)
			u.Host = proxy.ln.Addr().String()
			pool, err := database.Open(t.Context(), u.String(), database.PoolConfig{MaxConns: 4})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)

			// The whole app (app.New, as serve wires it) on the proxied
			// pool, sessions in Postgres.
			e := apptest.New(t, apptest.Options{Pool: pool})
			user := e.Signup("outage")
			ten := user.CreateTenant("Outage")
			c := e.Client()

			c.Must(http.StatusOK, "GET", "/readyz", nil)
			proxy.set(mode)

			start := time.Now()
			r := c.Do("GET", "/readyz", nil)
			if elapsed := time.Since(start); r.Status != http.StatusServiceUnavailable || elapsed > 2*time.Second {
				t.Errorf("readyz during outage: %d after %v, want 503 within 2s", r.Status, elapsed)
			}
			for _, path := range []string{"/api/me", "/api/projects"} {
				r := user.Do("GET", path, nil, apptest.InTenant(ten))
				if r.Status != http.StatusServiceUnavailable || r.Code(t) != "unavailable" {
					t.Errorf("%s during outage: %d %s, want 503 unavailable", path, r.Status, r.Body)
				}
			}
			c.Must(http.StatusOK, "GET", "/healthz", nil)

			proxy.set("up")
			deadline := time.Now().Add(10 * time.Second)
			for c.Do("GET", "/readyz", nil).Status != http.StatusOK {
				if time.Now().After(deadline) {
					t.Fatal("readyz did not recover")
				}
				time.Sleep(50 * time.Millisecond)
			}
			user.Must(http.StatusOK, "GET", "/api/me", nil)
			user.Must(http.StatusOK, "GET", "/api/projects", nil, apptest.InTenant(ten))
		})
	}
}

func TestReadyzWhileDraining(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	c := e.Client()
	c.Must(http.StatusOK, "GET", "/readyz", nil)
	e.App.Server.Drain()
	c.Must(http.StatusServiceUnavailable, "GET", "/readyz", nil)
	c.Must(http.StatusOK, "GET", "/healthz", nil)
}
