package session

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

func TestNewRedisClient(t *testing.T) {
	type node struct {
		Addr     string
		DB       int
		Username string
		Password string
		TLS      bool
	}
	type cluster struct {
		Addrs    []string
		Password string
		TLS      bool
	}
	tests := []struct {
		url  string
		want any // node or cluster
	}{
		{"redis://127.0.0.1:6379/0", node{Addr: "127.0.0.1:6379"}},
		{"redis://localhost/3", node{Addr: "localhost:6379", DB: 3}},
		{"rediss://u:secret@cache.example:6380", node{Addr: "cache.example:6380", Username: "u", Password: "secret", TLS: true}},
		{"redis+cluster://a:7000,b:7001,c:7002", cluster{Addrs: []string{"a:7000", "b:7001", "c:7002"}}},
		{"rediss+cluster://:secret@a:7000,b:7001/?dial_timeout=2s", cluster{Addrs: []string{"a:7000", "b:7001"}, Password: "secret", TLS: true}},
		{"redis+cluster://a:7000", cluster{Addrs: []string{"a:7000"}}},
	}
	for _, tt := range tests {
		c, err := NewRedisClient(tt.url)
		if err != nil {
			t.Errorf("NewRedisClient(%q): %v", tt.url, err)
			continue
		}
		var got any
		switch c := c.(type) {
		case *redis.Client:
			o := c.Options()
			if !o.ContextTimeoutEnabled {
				t.Errorf("%q: context deadlines are not honoured", tt.url)
			}
			got = node{o.Addr, o.DB, o.Username, o.Password, o.TLSConfig != nil}
		case *redis.ClusterClient:
			o := c.Options()
			if !o.ContextTimeoutEnabled {
				t.Errorf("%q: context deadlines are not honoured", tt.url)
			}
			got = cluster{o.Addrs, o.Password, o.TLSConfig != nil}
		default:
			t.Fatalf("%q: client %T", tt.url, c)
		}
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("NewRedisClient(%q) (-got +want):\n%s", tt.url, diff)
		}
		c.Close()
	}
}

func TestNewRedisClientRejects(t *testing.T) {
	for _, url := range []string{
		"",
		"127.0.0.1:6379",
		"http://u:hunter2@example.com",
		"redis://u:hunter2@[bad",
		"redis+cluster://u:hunter2@a:7000/2",
		"redis+cluster://u:hunter2@a:7000,,b:7001",
		"redis+cluster://u:hunter2@",
		"redis://u:hunter2@localhost/0?no_such_option=1",
	} {
		c, err := NewRedisClient(url)
		if err == nil {
			c.Close()
			t.Errorf("NewRedisClient(%q): no error", url)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("NewRedisClient(%q): error %q leaks the password", url, err)
		}
	}
}

// The client fails fast when Redis is down (a 503 in well under a second,
// not after go-redis's default retries and backoff), unless the URL sets
// its own limits.
func TestNewRedisClientFailsFast(t *testing.T) {
	type limits struct {
		MaxRetries, DialerRetries                           int
		DialTimeout, ReadTimeout, WriteTimeout, PoolTimeout time.Duration
	}
	fast := limits{1, 1, time.Second, time.Second, time.Second, time.Second}
	tests := []struct {
		url  string
		want limits
	}{
		{"redis://127.0.0.1:6379/0", fast},
		{"unix:///run/redis.sock", fast},
		{"redis+cluster://a:7000,b:7001", fast},
		{"redis://127.0.0.1:6379/0?max_retries=4&dial_timeout=3s&read_timeout=2s&write_timeout=5s&pool_timeout=6s",
			limits{4, 1, 3 * time.Second, 2 * time.Second, 5 * time.Second, 6 * time.Second}},
		{"redis://127.0.0.1:6379/0?read_timeout=2s", limits{1, 1, time.Second, 2 * time.Second, time.Second, time.Second}},
		{"redis+cluster://a:7000?max_retries=4&dialer_retries=3&dial_timeout=3s&read_timeout=2s&write_timeout=5s&pool_timeout=6s",
			limits{4, 3, 3 * time.Second, 2 * time.Second, 5 * time.Second, 6 * time.Second}},
	}
	for _, tt := range tests {
		c, err := NewRedisClient(tt.url)
		if err != nil {
			t.Errorf("NewRedisClient(%q): %v", tt.url, err)
			continue
		}
		var got limits
		switch c := c.(type) {
		case *redis.Client:
			o := c.Options()
			got = limits{o.MaxRetries, o.DialerRetries, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout}
		case *redis.ClusterClient:
			o := c.Options()
			got = limits{o.MaxRetries, o.DialerRetries, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout}
		}
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("NewRedisClient(%q) limits (-got +want):\n%s", tt.url, diff)
		}
		c.Close()
	}

	// Against a Redis that is not there, a lookup is an outage at once: one
	// try and one retry, of one dial each. go-redis's defaults dial 20 times
	// with backoff in between (~1.7s; dialer_retries=5 alone, 10 times in
	// ~0.8s). The test counts dials rather than timing the lookup, which a
	// loaded machine could make slow.
	for _, url := range []string{"redis://127.0.0.1:1/0", "redis+cluster://127.0.0.1:1"} {
		c, err := NewRedisClient(url)
		if err != nil {
			t.Fatal(err)
		}
		dials := &dialCounter{}
		switch c := c.(type) {
		case *redis.ClusterClient:
			c.OnNewNode(func(node *redis.Client) { node.AddHook(dials) }) // nodes are made on first use
		case *redis.Client:
			c.AddHook(dials)
		}
		st := NewRedisStore(c, "")
		start := time.Now()
		_, _, err = st.FindCtx(t.Context(), newToken())
		elapsed := time.Since(start)
		if n := dials.n.Load(); n == 0 || n > 2 {
			t.Errorf("%s: FindCtx against a Redis that is down dialled %d times (in %v), want 1 or 2", url, n, elapsed)
		}
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: FindCtx against a Redis that is down: err = %v, want ErrUnavailable", url, err)
		}
		c.Close()
	}
}

// dialCounter counts a client's dials.
type dialCounter struct{ n atomic.Int64 }

func (h *dialCounter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		h.n.Add(1)
		return next(ctx, network, addr)
	}
}

func (h *dialCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h *dialCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
