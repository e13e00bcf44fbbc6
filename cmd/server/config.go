package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/session"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

// config is every setting, read once from the environment and validated.
type config struct {
	DatabaseURL      string // owner role; migrations
	AppDatabaseURL   string // runtime role; serving
	HTTPAddr         string
	BaseURL          *url.URL
	SessionStore     string // postgres | redis
	RedisURL         string
	SessionIdle      time.Duration
	SessionLifetime  time.Duration
	TenantSources    []tenancy.Source
	TenantBaseDomain string
	TrustedProxies   []netip.Prefix
	MinPasswordLen   int
	AuthPerIP        int // sign-up and login requests per minute per IP
	LoginPerAccount  int // login attempts per minute per email
	DBMaxConns       int32
	StatementTimeout time.Duration
	RequestTimeout   time.Duration
	ShutdownTimeout  time.Duration
	DrainDelay       time.Duration // /readyz answers 503 this long before the listener closes
	LogLevel         slog.Level
}

// loadConfig reads the environment. Every error names its variable.
func loadConfig(getenv func(string) string) (config, error) {
	env := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	duration := func(key, def string) time.Duration {
		d, err := time.ParseDuration(env(key, def))
		if err != nil || d <= 0 {
			bad(key, "want a positive duration such as %s", def)
		}
		return d
	}
	nonNegative := func(key, def string) time.Duration {
		d, err := time.ParseDuration(env(key, def))
		if err != nil || d < 0 {
			bad(key, "want a duration such as 5s, or 0s")
		}
		return d
	}
	integer := func(key string, def, lo, hi int) int {
		n, err := strconv.Atoi(env(key, strconv.Itoa(def)))
		if err != nil || n < lo || n > hi {
			bad(key, "want a whole number from %d to %d", lo, hi)
		}
		return n
	}

	c := config{
		DatabaseURL:      env("DATABASE_URL", ""),
		AppDatabaseURL:   env("APP_DATABASE_URL", ""),
		HTTPAddr:         env("HTTP_ADDR", ":8080"),
		SessionStore:     env("SESSION_STORE", "postgres"),
		RedisURL:         env("REDIS_URL", ""),
		SessionIdle:      duration("SESSION_IDLE_TIMEOUT", session.DefaultIdleTimeout.String()),
		SessionLifetime:  duration("SESSION_LIFETIME", session.DefaultLifetime.String()),
		TenantBaseDomain: env("TENANT_BASE_DOMAIN", ""),
		MinPasswordLen:   integer("PASSWORD_MIN_LENGTH", 8, 8, 64),
		AuthPerIP:        integer("RATE_LIMIT_AUTH_PER_IP", httpapi.DefaultAuthPerIP, 1, 1_000_000),
		LoginPerAccount:  integer("RATE_LIMIT_LOGIN_PER_ACCOUNT", httpapi.DefaultLoginPerAccount, 1, 1_000_000),
		DBMaxConns:       int32(integer("DB_MAX_CONNS", 20, 2, 1000)),
		StatementTimeout: duration("DB_STATEMENT_TIMEOUT", "5s"),
		RequestTimeout:   duration("REQUEST_TIMEOUT", "15s"),
		ShutdownTimeout:  duration("SHUTDOWN_TIMEOUT", "20s"),
		DrainDelay:       nonNegative("SHUTDOWN_DRAIN_DELAY", "0s"),
	}

	base, err := url.Parse(env("BASE_URL", "http://localhost:8080"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		bad("BASE_URL", "want an absolute http or https URL such as https://app.example.com")
	}
	c.BaseURL = base

	switch c.SessionStore {
	case "postgres":
	case "redis":
		if c.RedisURL == "" {
			bad("REDIS_URL", "required when SESSION_STORE=redis")
		}
	default:
		bad("SESSION_STORE", "want postgres or redis, got %q", c.SessionStore)
	}
	if c.SessionIdle > c.SessionLifetime {
		bad("SESSION_IDLE_TIMEOUT", "must not exceed SESSION_LIFETIME")
	}

	if c.TenantSources, err = tenancy.ParseSources(env("TENANT_SOURCES", joinSources(tenancy.DefaultSources()))); err != nil {
		bad("TENANT_SOURCES", "%v", err)
	}
	for p := range strings.SplitSeq(env("TRUSTED_PROXIES", ""), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			if a, aerr := netip.ParseAddr(p); aerr == nil {
				prefix, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil {
			bad("TRUSTED_PROXIES", "%q is not an IP address or CIDR prefix", p)
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix)
	}
	if err := c.LogLevel.UnmarshalText([]byte(env("LOG_LEVEL", "info"))); err != nil {
		bad("LOG_LEVEL", "want debug, info, warn or error")
	}
	return c, errors.Join(errs...)
}

// requireURL reports a missing connection URL for the command that needs it.
func requireURL(key, value string) error {
	if value == "" {
		return fmt.Errorf("%s: required (a postgres:// connection URL)", key)
	}
	if _, err := url.Parse(value); err != nil {
		return fmt.Errorf("%s: not a valid URL", key)
	}
	return nil
}

// joinSources is the TENANT_SOURCES spelling of sources.
func joinSources(sources []tenancy.Source) string {
	parts := make([]string, len(sources))
	for i, s := range sources {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}
