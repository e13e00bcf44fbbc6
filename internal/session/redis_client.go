package session

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// NewRedisClient returns a client for rawURL, as REDIS_URL gives it:
//
//	redis://[user:password@]host:port[/db][?options]      one node
//	rediss://…                                            one node over TLS
//	unix://[user:password@]/path/to/socket[?db=n]         one node on a socket
//	redis+cluster://[user:password@]host:port,host:port[?options]   a Redis Cluster
//	rediss+cluster://…                                    a Redis Cluster over TLS
//
// Options are go-redis's (redis.ParseURL, redis.ParseClusterURL), e.g.
// dial_timeout=3s. The client honours context deadlines, so a request's
// deadline bounds its session lookup. It does not connect until first used;
// Ping it at start-up. Errors never echo the URL, which may hold a password.
//
// The client fails fast, so that a Redis outage becomes a 503 (and a failed
// /readyz) within about a second instead of after go-redis's default
// retries and backoff (about 1.7 s for one node that refuses connections):
// max_retries=1 (one retry, for a pooled connection that died), one dial
// attempt per try, and dial_timeout, read_timeout, write_timeout and
// pool_timeout of 1s. The URL overrides each of these it names (a cluster
// URL also dialer_retries).
func NewRedisClient(rawURL string) (redis.UniversalClient, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, errors.New("redis url: missing scheme (want redis://, rediss:// or redis+cluster://)")
	}
	switch scheme {
	case "redis", "rediss", "unix":
		opt, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", sanitize(err))
		}
		opt.ContextTimeoutEnabled = true
		failFast(query(rawURL), failFastOptions{
			&opt.MaxRetries, &opt.DialerRetries,
			&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.PoolTimeout,
		})
		return redis.NewClient(opt), nil
	case "redis+cluster", "rediss+cluster":
		u, err := clusterURL(strings.TrimSuffix(scheme, "+cluster"), rest)
		if err != nil {
			return nil, err
		}
		opt, err := redis.ParseClusterURL(u)
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", sanitize(err))
		}
		opt.ContextTimeoutEnabled = true
		failFast(query(u), failFastOptions{
			&opt.MaxRetries, &opt.DialerRetries,
			&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.PoolTimeout,
		})
		return redis.NewClusterClient(opt), nil
	}
	return nil, fmt.Errorf("redis url: unsupported scheme %q (want redis://, rediss:// or redis+cluster://)", scheme)
}

// Fail-fast limits; see NewRedisClient.
const (
	fastRetries = 1
	fastTimeout = time.Second
)

// failFastOptions points at the limits of a redis.Options or
// redis.ClusterOptions.
type failFastOptions struct {
	maxRetries, dialerRetries                           *int
	dialTimeout, readTimeout, writeTimeout, poolTimeout *time.Duration
}

// failFast sets the fail-fast limits the URL's query q does not name.
func failFast(q url.Values, o failFastOptions) {
	if !q.Has("max_retries") {
		*o.maxRetries = fastRetries
	}
	if !q.Has("dialer_retries") { // only a cluster URL may name it
		*o.dialerRetries = 1
	}
	for name, d := range map[string]*time.Duration{
		"dial_timeout":  o.dialTimeout,
		"read_timeout":  o.readTimeout,
		"write_timeout": o.writeTimeout,
		"pool_timeout":  o.poolTimeout,
	} {
		if !q.Has(name) {
			*d = fastTimeout
		}
	}
}

// query returns the query of a URL that go-redis has already parsed.
func query(rawURL string) url.Values {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil
	}
	return u.Query()
}

// clusterURL turns "userinfo@h1:p1,h2:p2/?q" into the form ParseClusterURL
// reads: "scheme://userinfo@h1:p1?q&addr=h2:p2".
func clusterURL(scheme, rest string) (string, error) {
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	path, query, _ := strings.Cut(tail, "?")
	if path != "" && path != "/" {
		return "", errors.New("redis url: a cluster URL has no database path")
	}
	userinfo, hosts := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hosts = authority[:i+1], authority[i+1:]
	}
	addrs := strings.Split(hosts, ",")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", errors.New("redis url: invalid query")
	}
	for _, a := range addrs[1:] {
		if a == "" {
			return "", errors.New("redis url: empty cluster address")
		}
		q.Add("addr", a)
	}
	if addrs[0] == "" {
		return "", errors.New("redis url: no cluster address")
	}
	u := scheme + "://" + userinfo + addrs[0]
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u, nil
}

// sanitize drops a *url.Error's URL, which may hold a password.
func sanitize(err error) error {
	if _, ok := errors.AsType[*url.Error](err); ok {
		return errors.New("invalid URL")
	}
	return err
}
