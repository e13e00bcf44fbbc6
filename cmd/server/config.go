package main

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tenantkit/tenantkit/internal/database"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/session"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

// config is every setting, read once from the environment and validated.
type config struct {
	DatabaseURL       string // owner role; migrations
	AppDatabaseURL    string // runtime role; serving
	TenantDatabaseURL string // tenant login role; tenant transactions
	// Roles are the deployment's group roles, DATABASE_ROLE_PREFIX_app and
	// _tenant. rolesErr says why there are none (no database URL to derive
	// the default from, or a database name that is no prefix): commands
	// that need them refuse with it (requireRoles).
	Roles    database.Roles
	rolesErr error
	// TenantContextKey signs tenant scopes (nil when unset: serve and
	// migrate up require it).
	TenantContextKey database.ContextKey
	HTTPAddr         string
	AdminAddr        string  // metrics and pprof; "" (the default): no admin listener
	AccessLogSample  float64 // fraction of successful requests the access log keeps
	BaseURL          *url.URL
	SessionStore     string // postgres | redis
	RedisURL         string
	RedisKeyPrefix   string // every Redis key starts with it; default tenantkit:<database>:
	SessionIdle      time.Duration
	SessionLifetime  time.Duration
	SessionTouch     time.Duration // 0: session's default
	CallerCacheTTL   time.Duration // 0: off
	TenantSources    []tenancy.Source
	TenantBaseDomain string
	AllowedHosts     []httpapi.HostPattern // BASE_URL's host, ALLOWED_HOSTS, *.TENANT_BASE_DOMAIN
	TrustedProxies   []netip.Prefix
	MinPasswordLen   int
	AuthPerIP        int // sign-up and login requests per minute per IP
	LoginPerAccount  int // failed logins per minute per account and client
	LoginSlowAfter   int // failed logins per account in 15 minutes before its logins wait
	LoginMaxDelay    time.Duration
	DBMaxConns       int32
	StatementTimeout time.Duration
	RequestTimeout   time.Duration
	ShutdownTimeout  time.Duration
	DrainDelay       time.Duration // /readyz answers 503 this long before the listener closes
	LogLevel         slog.Level
	// Mail: MAIL_URL (smtp:// or smtps://; required where workers run,
	// since they send) and MAIL_FROM; ProductName names the product in
	// mails.
	MailURL     string
	MailFrom    string
	ProductName string
	// Workers: "inprocess" (serve runs the job workers) or "off" (a
	// separate `server worker` process does).
	Workers string
	// SignupMode: verify (the default) or open; RequireVerifiedEmail keeps
	// unverified users from creating tenants; ReauthWindow is how recent
	// a login must be for a sensitive change without the password.
	SignupMode           httpapi.SignupMode
	RequireVerifiedEmail bool
	ReauthWindow         time.Duration
	MailPerAddress       int // verification and reset mails per address per hour
	// AllowLargeObjects accepts runtime and tenant roles that may use large
	// objects (database.ErrLargeObjectsOpen), where no superuser can
	// revoke them.
	AllowLargeObjects bool
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
	// Durations are at least minDuration: Postgres takes its timeouts in
	// whole milliseconds, where 500us would become 0, which means no limit.
	duration := func(key, def string) time.Duration {
		d, err := time.ParseDuration(env(key, def))
		if err != nil || d < minDuration {
			bad(key, "want a duration of at least %s, such as %s", minDuration, def)
		}
		return d
	}
	// nonNegative is a duration where 0 means off.
	nonNegative := func(key, def string) time.Duration {
		d, err := time.ParseDuration(env(key, def))
		if err != nil || d < 0 || (d > 0 && d < minDuration) {
			bad(key, "want 0s (off) or a duration of at least %s, such as 5s", minDuration)
		}
		return d
	}
	fraction := func(key, def string) float64 {
		f, err := strconv.ParseFloat(env(key, def), 64)
		if err != nil || !(f >= 0 && f <= 1) { // NaN fails too
			bad(key, "want a fraction from 0 to 1, such as 0.1")
		}
		return f
	}
	boolean := func(key string, def bool) bool {
		switch v := env(key, strconv.FormatBool(def)); v {
		case "true":
			return true
		case "false":
			return false
		default:
			bad(key, "want true or false, got %q", v)
			return def
		}
	}
	integer := func(key string, def, lo, hi int) int {
		n, err := strconv.Atoi(env(key, strconv.Itoa(def)))
		if err != nil || n < lo || n > hi {
			bad(key, "want a whole number from %d to %d", lo, hi)
		}
		return n
	}

	c := config{
		DatabaseURL:       env("DATABASE_URL", ""),
		AppDatabaseURL:    env("APP_DATABASE_URL", ""),
		TenantDatabaseURL: env("TENANT_DATABASE_URL", ""),
		HTTPAddr:          env("HTTP_ADDR", ":8080"),
		AdminAddr:         env("ADMIN_ADDR", ""),
		AccessLogSample:   fraction("ACCESS_LOG_SAMPLE", "1"),
		SessionStore:      env("SESSION_STORE", "postgres"),
		RedisURL:          env("REDIS_URL", ""),
		SessionIdle:       duration("SESSION_IDLE_TIMEOUT", session.DefaultIdleTimeout.String()),
		SessionLifetime:   duration("SESSION_LIFETIME", session.DefaultLifetime.String()),
		CallerCacheTTL:    nonNegative("CALLER_CACHE_TTL", "1m"),
		TenantBaseDomain:  env("TENANT_BASE_DOMAIN", ""),
		MinPasswordLen:    integer("PASSWORD_MIN_LENGTH", identity.DefaultMinPasswordLength, identity.DefaultMinPasswordLength, identity.MaxMinPasswordLength),
		AuthPerIP:         integer("RATE_LIMIT_AUTH_PER_IP", httpapi.DefaultAuthPerIP, 1, 1_000_000),
		LoginPerAccount:   integer("RATE_LIMIT_LOGIN_PER_ACCOUNT", httpapi.DefaultLoginPerAccount, 1, 1_000_000),
		LoginSlowAfter:    integer("RATE_LIMIT_LOGIN_SLOW_AFTER", httpapi.DefaultLoginSlowAfter, 1, 1_000_000),
		LoginMaxDelay:     duration("RATE_LIMIT_LOGIN_MAX_DELAY", httpapi.DefaultLoginMaxDelay.String()),
		DBMaxConns:        int32(integer("DB_MAX_CONNS", 20, 2, 1000)),
		StatementTimeout:  duration("DB_STATEMENT_TIMEOUT", "5s"),
		RequestTimeout:    duration("REQUEST_TIMEOUT", httpapi.DefaultRequestTimeout.String()),
		ShutdownTimeout:   duration("SHUTDOWN_TIMEOUT", "20s"),
		DrainDelay:        nonNegative("SHUTDOWN_DRAIN_DELAY", "0s"),
		MailURL:           env("MAIL_URL", ""),
		MailFrom:          env("MAIL_FROM", "tenantkit <no-reply@localhost>"),
		ProductName:       env("PRODUCT_NAME", "tenantkit"),
		Workers:           env("WORKERS", "inprocess"),
		SignupMode:        httpapi.SignupMode(env("SIGNUP_MODE", string(httpapi.SignupVerify))),
		ReauthWindow:      duration("REAUTH_WINDOW", httpapi.DefaultReauthWindow.String()),
		MailPerAddress:    integer("RATE_LIMIT_MAIL_PER_ADDRESS", httpapi.DefaultMailPerAddress, 1, 1_000_000),
	}
	c.RequireVerifiedEmail = boolean("REQUIRE_VERIFIED_EMAIL", true)
	switch c.SignupMode {
	case httpapi.SignupVerify, httpapi.SignupOpen:
	default:
		bad("SIGNUP_MODE", "want verify or open, got %q", c.SignupMode)
	}
	switch c.Workers {
	case "inprocess", "off":
	default:
		bad("WORKERS", "want inprocess or off, got %q", c.Workers)
	}

	if v := env("TENANT_CONTEXT_KEY", ""); v != "" {
		key, err := database.ParseContextKey(v)
		if err != nil {
			bad("TENANT_CONTEXT_KEY", "%v", err)
		}
		c.TenantContextKey = key
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
	if c.AdminAddr != "" {
		if _, port, err := net.SplitHostPort(c.AdminAddr); err != nil || !validPort(port) {
			bad("ADMIN_ADDR", "want host:port, such as 127.0.0.1:9090 (empty: no admin listener)")
		}
	}
	c.Roles, c.rolesErr = roles(env("DATABASE_ROLE_PREFIX", ""), cmp.Or(c.DatabaseURL, c.AppDatabaseURL), bad)
	c.RedisKeyPrefix = redisKeyPrefix(env("REDIS_KEY_PREFIX", ""), c.AppDatabaseURL, c.SessionStore == "redis", bad)
	// A login waits at most this long; longer, and the wait turns into the
	// lockout it is there to avoid.
	if c.LoginMaxDelay > 10*time.Second || c.LoginMaxDelay > c.RequestTimeout/2 {
		bad("RATE_LIMIT_LOGIN_MAX_DELAY", "want at most 10s and at most half of REQUEST_TIMEOUT")
	}
	if c.SessionIdle > c.SessionLifetime {
		bad("SESSION_IDLE_TIMEOUT", "must not exceed SESSION_LIFETIME")
	}
	// Unset: the session package's default, min(1m, SESSION_IDLE_TIMEOUT/2).
	if v := env("SESSION_TOUCH_INTERVAL", ""); v != "" {
		c.SessionTouch = duration("SESSION_TOUCH_INTERVAL", "1m")
		if c.SessionTouch >= c.SessionIdle {
			bad("SESSION_TOUCH_INTERVAL", "must be shorter than SESSION_IDLE_TIMEOUT")
		}
	}

	if c.TenantSources, err = tenancy.ParseSources(env("TENANT_SOURCES", joinSources(tenancy.DefaultSources()))); err != nil {
		bad("TENANT_SOURCES", "%v", err)
	}
	c.AllowedHosts = allowedHosts(c.BaseURL, env("ALLOWED_HOSTS", ""), c.TenantBaseDomain, bad)
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
	c.AllowLargeObjects = boolean("ALLOW_LARGE_OBJECTS", false)
	if err := c.LogLevel.UnmarshalText([]byte(env("LOG_LEVEL", "info"))); err != nil {
		bad("LOG_LEVEL", "want debug, info, warn or error")
	}
	return c, errors.Join(errs...)
}

// redisKeyPrefix returns REDIS_KEY_PREFIX (set), or its default: one of
// the deployment's own, tenantkit:<database>: after the database that
// appURL (APP_DATABASE_URL) names, so deployments that share a Redis (and
// not a database) never read each other's sessions. The default needs no
// checking unless the Redis store is used (needed), and is "" when there is
// no appURL to derive it from: commands that need it refuse without one.
func redisKeyPrefix(set, appURL string, needed bool, bad func(key, format string, args ...any)) string {
	const key = "REDIS_KEY_PREFIX"
	prefix, origin := set, "REDIS_KEY_PREFIX"
	if prefix == "" {
		if appURL == "" {
			return ""
		}
		db, err := database.DatabaseName(appURL)
		if err != nil {
			if needed {
				bad(key, "no default: APP_DATABASE_URL is not a valid connection string, and the default is derived from its database name")
			}
			return ""
		}
		prefix, origin = "tenantkit:"+db+":", "the default derived from the database name in APP_DATABASE_URL"
		if !needed {
			return prefix
		}
	}
	switch {
	case strings.ContainsFunc(prefix, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		bad(key, "%s, %q, contains a space or control character; set REDIS_KEY_PREFIX to one without", origin, prefix)
	case !strings.HasSuffix(prefix, ":") || prefix == ":":
		bad(key, "%s, %q, must end with ':' and name the deployment, such as tenantkit:production:", origin, prefix)
	case len(prefix) > maxRedisKeyPrefix:
		bad(key, "%s is longer than %d bytes", origin, maxRedisKeyPrefix)
	}
	return prefix
}

// roles returns the deployment's roles: DATABASE_ROLE_PREFIX (set, and
// then it must be valid) or its default, the name of the database that
// databaseURL names; the default's error waits for a command that needs it.
func roles(set, databaseURL string, bad func(key, format string, args ...any)) (database.Roles, error) {
	const key = "DATABASE_ROLE_PREFIX"
	if set != "" {
		r, err := database.RolesFor(set)
		if err != nil {
			bad(key, "%v", err)
		}
		return r, nil
	}
	if databaseURL == "" {
		return database.Roles{}, fmt.Errorf("%s: no default without DATABASE_URL or APP_DATABASE_URL", key)
	}
	prefix, err := database.DefaultRolePrefix(databaseURL)
	if err != nil {
		return database.Roles{}, fmt.Errorf("%s: no default: %w", key, err)
	}
	return database.RolesFor(prefix)
}

// requireRoles reports why there are no deployment roles for the command
// that needs them.
func requireRoles(c config) error { return c.rolesErr }

// maxRedisKeyPrefix bounds REDIS_KEY_PREFIX, which every Redis key repeats.
const maxRedisKeyPrefix = 200

// requireKey reports a missing TENANT_CONTEXT_KEY for the command that needs it.
func requireKey(key database.ContextKey) error {
	if key == nil {
		return errors.New("TENANT_CONTEXT_KEY: required: 32 random bytes as hex (`openssl rand -hex 32`); " +
			"`make run` writes one into .env; serve and `migrate up` must use the same")
	}
	return nil
}

// minDuration is the shortest duration setting accepted (other than 0s
// where that means off).
const minDuration = time.Millisecond

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

// allowedHosts returns the hosts serve answers for: BASE_URL's (on any
// port; with every loopback host when it is one, for development), each of
// the comma-separated ALLOWED_HOSTS, and every subdomain of
// TENANT_BASE_DOMAIN. It is never empty: BASE_URL always has a host.
func allowedHosts(base *url.URL, list, tenantDomain string, bad func(key, format string, args ...any)) []httpapi.HostPattern {
	var hosts []httpapi.HostPattern
	if base != nil && base.Host != "" {
		ps, err := httpapi.BaseURLHosts(base)
		if err != nil {
			bad("BASE_URL", "%v", err)
		}
		hosts = append(hosts, ps...)
	}
	for entry := range strings.SplitSeq(list, ",") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		p, err := httpapi.ParseHostPattern(entry)
		if err != nil {
			bad("ALLOWED_HOSTS", "%v", err)
			continue
		}
		hosts = append(hosts, p)
	}
	if tenantDomain != "" {
		p, err := httpapi.ParseHostPattern("*." + tenantDomain)
		if err != nil || strings.Contains(tenantDomain, ":") {
			bad("TENANT_BASE_DOMAIN", "want a domain name such as example.com, got %q", tenantDomain)
		} else {
			hosts = append(hosts, p)
		}
	}
	return hosts
}

// validPort reports whether port is a TCP port number (0 picks a free one).
func validPort(port string) bool {
	_, err := strconv.ParseUint(port, 10, 16)
	return err == nil
}

// joinSources is the TENANT_SOURCES spelling of sources.
func joinSources(sources []tenancy.Source) string {
	parts := make([]string, len(sources))
	for i, s := range sources {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}
