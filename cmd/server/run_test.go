package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/dbtest"
	"github.com/tenantkit/tenantkit/internal/session"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// envFrom is a getenv over m. Where m sets no MAIL_URL, serve's in-process
// workers get a relay that refuses connections (the discard port): these
// tests are not about mail, and a mail job that fails is retried, never
// lost. TestWorker delivers for real.
func envFrom(m map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := m[k]; ok || k != "MAIL_URL" {
			return v
		}
		return "smtp://127.0.0.1:9"
	}
}

// withTenant adds the test database's tenant login role and tenant
// context key to env, which serve needs besides APP_DATABASE_URL.
func withTenant(d *dbtest.DB, env map[string]string) map[string]string {
	env["TENANT_DATABASE_URL"] = d.TenantURL
	env["TENANT_CONTEXT_KEY"] = hex.EncodeToString(d.Key)
	env["DATABASE_ROLE_PREFIX"] = strings.TrimSuffix(d.Roles.App, "_app") // not the test database's name
	// Sign-up hands out a session at once (the tests here sign up to get
	// one); the verify mode has its tests in internal/app.
	if _, ok := env["SIGNUP_MODE"]; !ok {
		env["SIGNUP_MODE"] = "open"
	}
	return env
}

func withKey(env map[string]string) map[string]string {
	env["TENANT_CONTEXT_KEY"] = strings.Repeat("5a", 32)
	return env
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SESSION_STORE": "memcached"}, "SESSION_STORE"},
		{map[string]string{"SESSION_STORE": "redis"}, "REDIS_URL"},
		{map[string]string{"BASE_URL": "ftp://x"}, "BASE_URL"},
		{map[string]string{"SESSION_IDLE_TIMEOUT": "soon"}, "SESSION_IDLE_TIMEOUT"},
		{map[string]string{"SESSION_IDLE_TIMEOUT": "48h"}, "SESSION_IDLE_TIMEOUT"},
		{map[string]string{"SESSION_TOUCH_INTERVAL": "1h"}, "SESSION_TOUCH_INTERVAL"}, // not shorter than the idle timeout (1h)
		{map[string]string{"CALLER_CACHE_TTL": "-1m"}, "CALLER_CACHE_TTL"},
		{map[string]string{"TENANT_SOURCES": "header,cookie"}, "TENANT_SOURCES"},
		{map[string]string{"TRUSTED_PROXIES": "10.0.0.0/33"}, "TRUSTED_PROXIES"},
		{map[string]string{"PASSWORD_MIN_LENGTH": "4"}, "PASSWORD_MIN_LENGTH"},
		{map[string]string{}, "APP_DATABASE_URL"},
		{map[string]string{"DATABASE_ROLE_PREFIX": "Acme-Prod"}, "DATABASE_ROLE_PREFIX"},
		{map[string]string{"ALLOW_LARGE_OBJECTS": "yes"}, "ALLOW_LARGE_OBJECTS"},
		// The default prefix is the database's name, which must be one.
		{withKey(map[string]string{"APP_DATABASE_URL": "postgres://u@127.0.0.1/Acme-Prod", "TENANT_DATABASE_URL": "postgres://t@127.0.0.1/Acme-Prod"}), "DATABASE_ROLE_PREFIX: no default"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		err := run(t.Context(), []string{"serve"}, envFrom(tt.env), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("env %v: err = %v, want it to name %s", tt.env, err, tt.want)
		}
	}
	err := run(t.Context(), []string{"migrate", "status"}, envFrom(map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1/Acme-Prod"}), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "DATABASE_ROLE_PREFIX") {
		t.Errorf("migrate status on a database whose name is no role prefix: %v, want an error naming DATABASE_ROLE_PREFIX", err)
	}
	if err := run(t.Context(), []string{"migrate", "sideways"}, envFrom(map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1/x"}), &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("migrate sideways: want a usage error")
	}
	if err := run(t.Context(), []string{"frobnicate"}, envFrom(nil), &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("unknown command: want an error")
	}
}

// TestConfigDurationsAtLeastOneMillisecond: Postgres takes timeouts in
// whole milliseconds, so 500us would become 0, no limit at all. Every
// duration setting refuses less than 1ms, naming the variable; where 0s
// means off, 0s stays allowed.
func TestConfigDurationsAtLeastOneMillisecond(t *testing.T) {
	positive := "want a duration of at least 1ms, such as "
	tests := []struct {
		key     string
		zeroOK  bool
		refusal string
	}{
		{"SESSION_IDLE_TIMEOUT", false, positive + session.DefaultIdleTimeout.String()},
		{"SESSION_LIFETIME", false, positive + session.DefaultLifetime.String()},
		{"DB_STATEMENT_TIMEOUT", false, positive + "5s"},
		{"REQUEST_TIMEOUT", false, positive + "15s"},
		{"SHUTDOWN_TIMEOUT", false, positive + "20s"},
		{"SHUTDOWN_DRAIN_DELAY", true, "want 0s (off) or a duration of at least 1ms, such as 5s"},
		{"SESSION_TOUCH_INTERVAL", false, positive + "1m"},
		{"CALLER_CACHE_TTL", true, "want 0s (off) or a duration of at least 1ms, such as 5s"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			for _, v := range []string{"500us", "999999ns", "0s", "-1s", "1ms", "1500us", "2s"} {
				env := map[string]string{tt.key: v}
				if tt.key == "SESSION_LIFETIME" {
					env["SESSION_IDLE_TIMEOUT"] = "1ms" // must not exceed the lifetime
				}
				_, err := loadConfig(envFrom(env))
				d, _ := time.ParseDuration(v)
				wantOK := d >= time.Millisecond || (d == 0 && tt.zeroOK)
				want := tt.key + ": " + tt.refusal
				refused := err != nil && slices.Contains(strings.Split(err.Error(), "\n"), want)
				switch {
				case wantOK && err != nil && strings.Contains(err.Error(), tt.key+":"):
					// (Another setting that depends on it may still refuse:
					// RATE_LIMIT_LOGIN_MAX_DELAY is at most half of REQUEST_TIMEOUT.)
					t.Errorf("%s=%s: got %v, want it accepted", tt.key, v, err)
				case !wantOK && !refused:
					t.Errorf("%s=%s: got %v, want %q", tt.key, v, err, want)
				}
			}
		})
	}
}

// TestServeRefusesUnsafeRole: serving as a superuser (or the owner) would
// bypass RLS, so serve exits with a message that says why and what to do.
func TestServeRefusesUnsafeRole(t *testing.T) {
	d := dbtest.New(t)
	err := run(t.Context(), []string{"serve"}, envFrom(withTenant(d, map[string]string{
		"APP_DATABASE_URL": d.OwnerURL, "HTTP_ADDR": "127.0.0.1:0",
	})), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("serve as a superuser: want an error")
	}
	for _, want := range []string{"refusing to serve", "superuser", "APP_DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestMigrateUpCreatesDatabaseAndRole runs `migrate up` twice against a
// database that does not exist yet, then serves as the role it created.
func TestMigrateUpCreatesDatabaseAndRole(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	name := d.Name + "_fresh"
	role := "tk_role_" + strings.ToLower(d.Name[len(d.Name)-8:])
	ownerURL := strings.Replace(d.OwnerURL, "/"+d.Name, "/"+name, 1)
	appURL := strings.Replace(strings.Replace(d.AppURL, "/"+d.Name, "/"+name, 1), dbtest.RuntimeRole, role, 1)
	t.Cleanup(func() {
		ctx := context.Background()
		// The deployment's group roles, named after its database, go last:
		// nothing may be granted to a role that is dropped.
		for _, sql := range []string{"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "DROP ROLE IF EXISTS " + role, "DROP ROLE IF EXISTS " + role + "_t",
			"DROP ROLE IF EXISTS " + name + "_app", "DROP ROLE IF EXISTS " + name + "_tenant"} {
			if _, err := d.Owner.Exec(ctx, sql); err != nil {
				t.Errorf("cleanup: %s: %v", sql, err)
			}
		}
	})
	tenantURL := strings.Replace(strings.Replace(d.TenantURL, "/"+d.Name, "/"+name, 1), dbtest.TenantLoginRole, role+"_t", 1)
	key := strings.Repeat("5a", 32)
	env := envFrom(map[string]string{"DATABASE_URL": ownerURL, "APP_DATABASE_URL": appURL, "TENANT_DATABASE_URL": tenantURL, "TENANT_CONTEXT_KEY": key})
	dbtest.LockMigrations(t) // roles are cluster-wide; other packages migrate too
	for i := range 2 {
		var out bytes.Buffer
		if err := run(ctx, []string{"migrate", "up"}, env, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("migrate up #%d: %v\n%s", i+1, err, out.String())
		}
		if !strings.Contains(out.String(), "runtime role") || !strings.Contains(out.String(), "deployment roles: "+name+"_app, "+name+"_tenant") {
			t.Errorf("migrate up #%d output: %s", i+1, out.String())
		}
	}
	// Stamped like dbtest's own, so a killed run's copy is cleaned up later.
	if _, err := d.Owner.Exec(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS 'tenantkit test database created %d'", name, time.Now().Unix())); err != nil {
		t.Fatal(err)
	}
	// Another database's runtime role (the tests') may not connect here.
	other, err := url.Parse(ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	other.User = url.User(dbtest.RuntimeRole)
	if c, err := pgx.Connect(ctx, other.String()); err == nil {
		c.Close(ctx)
		t.Errorf("%s could connect to a database that is not its own", dbtest.RuntimeRole)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"migrate", "status"}, env, &out, &bytes.Buffer{}); err != nil || strings.Contains(out.String(), "pending") {
		t.Errorf("migrate status: %v\n%s", err, out.String())
	}
	serveBriefly(t, map[string]string{"APP_DATABASE_URL": appURL, "TENANT_DATABASE_URL": tenantURL, "TENANT_CONTEXT_KEY": key})
	serveBriefly(t, map[string]string{"APP_DATABASE_URL": appURL, "TENANT_DATABASE_URL": tenantURL, "TENANT_CONTEXT_KEY": key,
		"SESSION_STORE": "redis", "REDIS_URL": redisURL()})
	// A database every role may connect to (restored into a fresh
	// `createdb`, say) is refused until `migrate up` locks it again.
	if _, err := d.Owner.Exec(ctx, "GRANT CONNECT ON DATABASE "+name+" TO PUBLIC"); err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"serve"}, envFrom(map[string]string{"APP_DATABASE_URL": appURL, "TENANT_DATABASE_URL": tenantURL,
		"TENANT_CONTEXT_KEY": key, "HTTP_ADDR": "127.0.0.1:0"}), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "PUBLIC") {
		t.Errorf("serve on a database PUBLIC may connect to: %v, want a refusal naming PUBLIC", err)
	}
	if err := run(ctx, []string{"migrate", "up"}, env, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	// Large objects left open (managed Postgres, where nobody can revoke
	// them): refused, unless ALLOW_LARGE_OBJECTS accepts it.
	lo := func(sql string) {
		conn, err := pgx.Connect(ctx, ownerURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	lo("GRANT EXECUTE ON FUNCTION lo_create(oid) TO PUBLIC")
	err = run(ctx, []string{"serve"}, envFrom(map[string]string{"APP_DATABASE_URL": appURL, "TENANT_DATABASE_URL": tenantURL,
		"TENANT_CONTEXT_KEY": key, "HTTP_ADDR": "127.0.0.1:0"}), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "large objects") || !strings.Contains(err.Error(), "ALLOW_LARGE_OBJECTS") {
		t.Errorf("serve with large objects open: %v, want a refusal naming ALLOW_LARGE_OBJECTS", err)
	}
	serveBriefly(t, map[string]string{"APP_DATABASE_URL": appURL, "TENANT_DATABASE_URL": tenantURL, "TENANT_CONTEXT_KEY": key,
		"ALLOW_LARGE_OBJECTS": "true"})
	lo("REVOKE EXECUTE ON FUNCTION lo_create(oid) FROM PUBLIC")
	// A server whose key is not the database's refuses to start.
	err = run(ctx, []string{"serve"}, envFrom(map[string]string{"APP_DATABASE_URL": appURL, "TENANT_DATABASE_URL": tenantURL,
		"TENANT_CONTEXT_KEY": strings.Repeat("a5", 32), "HTTP_ADDR": "127.0.0.1:0"}), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "TENANT_CONTEXT_KEY") || !strings.Contains(err.Error(), "migrate up") {
		t.Errorf("serve with another key: %v, want a refusal naming TENANT_CONTEXT_KEY and migrate up", err)
	}
}

func redisURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// startServer runs serve in the background until the test ends and returns
// its base URL once /healthz answers, and a stop function that cancels the
// context (as SIGTERM does) and returns serve's result.
func startServer(t *testing.T, env map[string]string) (string, func() error) {
	t.Helper()
	return startServerLogging(t, env, &lockedBuffer{})
}

// startServerLogging is startServer with serve's stderr (its log) in stderr.
func startServerLogging(t *testing.T, env map[string]string, stderr io.Writer) (string, func() error) {
	t.Helper()
	addr := freeAddr(t)
	env["HTTP_ADDR"] = addr
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envFrom(env), &bytes.Buffer{}, stderr) }()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("serve did not drain and exit")
		}
	}
	url := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(url + "/healthz")
		if err == nil {
			res.Body.Close()
			return url, stop
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			_ = stop() // the server never answered; its exit error says nothing more
			t.Fatalf("server did not come up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveBriefly starts serve, checks /healthz and /readyz, then stops it and
// expects a clean exit.
func serveBriefly(t *testing.T, env map[string]string) {
	t.Helper()
	url, stop := startServer(t, env)
	if err := run(t.Context(), []string{"healthcheck"}, envFrom(env), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Errorf("healthcheck: %v", err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("serve after shutdown: %v", err)
	}
	if err := run(t.Context(), []string{"healthcheck"}, envFrom(env), &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("healthcheck with the server stopped: want an error")
	}
}

// TestUsersDisable: `users disable` refuses the user's very next request.
func TestUsersDisable(t *testing.T) {
	for _, store := range []string{"postgres", "redis"} {
		t.Run(store, func(t *testing.T) {
			d := dbtest.New(t)
			env := withTenant(d, map[string]string{"APP_DATABASE_URL": d.AppURL, "SESSION_STORE": store, "REDIS_URL": redisURL()})
			url, stop := startServer(t, env)
			defer func() {
				if err := stop(); err != nil {
					t.Errorf("stop the server: %v", err)
				}
			}()

			email := "disable-" + store + "-" + fmt.Sprint(time.Now().UnixNano()) + "@example.com"
			res, err := http.Post(url+"/api/auth/signup", "application/json",
				strings.NewReader(`{"email":"`+email+`","password":"correct horse battery staple","name":"D"}`))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusCreated || len(res.Cookies()) == 0 {
				t.Fatalf("signup: %d, cookies %v", res.StatusCode, res.Cookies())
			}
			me := func() int {
				req, _ := http.NewRequest(http.MethodGet, url+"/api/me", nil)
				req.AddCookie(res.Cookies()[0])
				r, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				return r.StatusCode
			}
			if got := me(); got != http.StatusOK {
				t.Fatalf("before: /api/me = %d", got)
			}
			var out bytes.Buffer
			if err := run(t.Context(), []string{"users", "disable", strings.ToUpper(email)}, envFrom(env), &out, &bytes.Buffer{}); err != nil {
				t.Fatalf("users disable: %v", err)
			}
			if got := me(); got != http.StatusUnauthorized {
				t.Errorf("after disable: /api/me = %d, want 401", got)
			}
			if err := run(t.Context(), []string{"users", "disable", "nobody@example.com"}, envFrom(env), &out, &bytes.Buffer{}); err == nil {
				t.Error("disabling an unknown user: want an error")
			}
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr())
}

// TestShutdownDrains: on SIGTERM the server fails readiness but keeps
// answering for SHUTDOWN_DRAIN_DELAY, then exits cleanly.
func TestShutdownDrains(t *testing.T) {
	d := dbtest.New(t)
	url, stop := startServer(t, withTenant(d, map[string]string{"APP_DATABASE_URL": d.AppURL, "SHUTDOWN_DRAIN_DELAY": "3s"}))
	status := func(path string) int {
		res, err := http.Get(url + path)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := status("/readyz"); got != http.StatusOK {
		t.Fatalf("readyz before shutdown: %d", got)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	deadline := time.Now().Add(2 * time.Second)
	for status("/readyz") != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("readyz did not turn 503 during the drain delay")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := status("/healthz"); got != http.StatusOK {
		t.Errorf("healthz during the drain delay: %d, want 200 (still serving)", got)
	}
	if err := <-stopped; err != nil {
		t.Errorf("serve: %v", err)
	}
}
