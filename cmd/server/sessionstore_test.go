package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/dbtest"
	"github.com/tenantkit/tenantkit/internal/session"
)

func TestRedisKeyPrefixConfig(t *testing.T) {
	redis := func(env map[string]string) map[string]string {
		env["SESSION_STORE"], env["REDIS_URL"] = "redis", "redis://127.0.0.1:6379/0"
		return env
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    string // the prefix; "" when loadConfig must fail
		wantErr string // in the error, besides REDIS_KEY_PREFIX
	}{
		{"default from the URL's database", redis(map[string]string{"APP_DATABASE_URL": "postgres://tenantkit@db.internal:5432/production?sslmode=disable"}), "tenantkit:production:", ""},
		{"default from key=value pairs", redis(map[string]string{"APP_DATABASE_URL": "host=db.internal user=tenantkit dbname=staging"}), "tenantkit:staging:", ""},
		{"default without a database: the user's", redis(map[string]string{"APP_DATABASE_URL": "postgres://acme@db.internal:5432"}), "tenantkit:acme:", ""},
		{"set", redis(map[string]string{"APP_DATABASE_URL": "postgres://u@h/x", "REDIS_KEY_PREFIX": "acme:prod:"}), "acme:prod:", ""},
		{"set, without APP_DATABASE_URL", redis(map[string]string{"REDIS_KEY_PREFIX": "acme:prod:"}), "acme:prod:", ""},
		{"set without the colon", redis(map[string]string{"REDIS_KEY_PREFIX": "acme"}), "", "must end with ':'"},
		{"set with a space", redis(map[string]string{"REDIS_KEY_PREFIX": "acme prod:"}), "", "space"},
		{"set to a colon alone", redis(map[string]string{"REDIS_KEY_PREFIX": ":"}), "", "must end with ':'"},
		{"set too long", redis(map[string]string{"REDIS_KEY_PREFIX": strings.Repeat("x", 300) + ":"}), "", "longer than"},
		{"default from a database name with a space", redis(map[string]string{"APP_DATABASE_URL": "postgres://u@h/my%20db"}), "", "database name"},
		{"default from an unparsable URL", redis(map[string]string{"APP_DATABASE_URL": "postgres://u@h:notaport/x"}), "", "APP_DATABASE_URL"},
		{"set badly, postgres store: still refused", map[string]string{"REDIS_KEY_PREFIX": "acme"}, "", "must end with ':'"},
		{"postgres store: the default is not checked", map[string]string{"APP_DATABASE_URL": "postgres://u@h/my%20db"}, "tenantkit:my db:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(envFrom(tt.env))
			if tt.want != "" {
				if err != nil || cfg.RedisKeyPrefix != tt.want {
					t.Errorf("RedisKeyPrefix = %q, %v; want %q", cfg.RedisKeyPrefix, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "REDIS_KEY_PREFIX") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("loadConfig = %v; want an error naming REDIS_KEY_PREFIX and saying %q", err, tt.wantErr)
			}
		})
	}
}

// TestRedisStoresOfTwoDeploymentsStayApart: two deployments (two databases)
// that share a Redis get, by default, stores whose keys never meet: a
// session stored by one is not found by the other, and revoking all of a
// user's sessions in one leaves the other's alone.
func TestRedisStoresOfTwoDeploymentsStayApart(t *testing.T) {
	base := "tk_prefix_" + strings.ToLower(uuid.NewString()[:8])
	managers := map[string]*session.Manager{}
	for _, db := range []string{base + "_staging", base + "_production"} {
		cfg, err := loadConfig(envFrom(map[string]string{
			"APP_DATABASE_URL": "postgres://tenantkit@127.0.0.1:5432/" + db, "SESSION_STORE": "redis", "REDIS_URL": redisURL(),
		}))
		if err != nil {
			t.Fatal(err)
		}
		cleanRedis(t, cfg.RedisKeyPrefix)
		store, closeStore, err := newSessionStore(t.Context(), cfg, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeStore)
		managers[db] = session.NewManager(store, session.Config{})
	}
	staging, production := managers[base+"_staging"], managers[base+"_production"]

	user := uuid.New()
	token := login(t, staging, user)
	if s, err := current(t, staging, token); err != nil || s.UserID != user {
		t.Fatalf("staging's own session: %+v, %v", s, err)
	}
	if s, err := current(t, production, token); err != session.ErrNoSession { //nolint:errorlint // the sentinel itself
		t.Errorf("production accepts staging's session: %+v, %v; want ErrNoSession", s, err)
	}
	if list, err := production.List(t.Context(), user); err != nil || len(list) != 0 {
		t.Errorf("production lists staging's sessions: %v, %v", list, err)
	}
	if err := production.RevokeAll(t.Context(), user); err != nil {
		t.Fatal(err)
	}
	if _, err := current(t, staging, token); err != nil {
		t.Errorf("staging's session after production revoked the user's: %v, want it alive", err)
	}
}

// TestDeploymentsSharingRedisStayApart: two servers on two databases and
// one Redis, both with the default REDIS_KEY_PREFIX: a session cookie of one
// is not accepted by the other, even on a route that needs no user row.
func TestDeploymentsSharingRedisStayApart(t *testing.T) {
	d := dbtest.New(t)
	other := secondDatabase(t, d)
	envA := withTenant(d, map[string]string{"APP_DATABASE_URL": d.AppURL, "SESSION_STORE": "redis", "REDIS_URL": redisURL()})
	envB := withTenant(d, map[string]string{"APP_DATABASE_URL": other.appURL, "SESSION_STORE": "redis", "REDIS_URL": redisURL()})
	envB["TENANT_DATABASE_URL"] = other.tenantURL // the same key, another database
	for _, env := range []map[string]string{envA, envB} {
		cfg, err := loadConfig(envFrom(env))
		if err != nil {
			t.Fatal(err)
		}
		cleanRedis(t, cfg.RedisKeyPrefix)
	}
	urlA, stopA := startServer(t, envA)
	defer stopServer(t, stopA)
	urlB, stopB := startServer(t, envB)
	defer stopServer(t, stopB)

	cookie, _ := signupCookie(t, urlA, "apart")
	if got := get(t, urlA+"/api/me/sessions", cookie); got != http.StatusOK {
		t.Fatalf("A, its own session: /api/me/sessions = %d", got)
	}
	for _, path := range []string{"/api/me/sessions", "/api/me"} {
		if got := get(t, urlB+path, cookie); got != http.StatusUnauthorized {
			t.Errorf("B with A's session cookie: %s = %d, want 401", path, got)
		}
	}
}

// TestUsersDisableChecksTheSessionStore: `users disable` revokes through
// the session store its own configuration names, so it refuses to run
// unless that is the store the server recorded, and says which settings to
// use; with them it disables the user and ends their sessions.
func TestUsersDisableChecksTheSessionStore(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	server := withTenant(d, map[string]string{"APP_DATABASE_URL": d.AppURL, "SESSION_STORE": "redis", "REDIS_URL": redisURL()})
	cfg, err := loadConfig(envFrom(server))
	if err != nil {
		t.Fatal(err)
	}
	prefix := cfg.RedisKeyPrefix
	if prefix != "tenantkit:"+d.Name+":" {
		t.Fatalf("default REDIS_KEY_PREFIX = %q", prefix)
	}
	cleanRedis(t, prefix)
	with := func(changes map[string]string) map[string]string {
		env := maps.Clone(server)
		for k, v := range changes {
			if v == "" {
				delete(env, k)
			} else {
				env[k] = v
			}
		}
		return env
	}
	disable := func(env map[string]string, email string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, []string{"users", "disable", email}, envFrom(env), &out, &bytes.Buffer{})
		return out.String(), err
	}

	// No server has recorded a store in this database yet.
	if _, err := d.Owner.Exec(ctx, "DELETE FROM session_store_config"); err != nil {
		t.Fatal(err)
	}
	if _, err := disable(server, "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "no server has recorded") {
		t.Errorf("users disable before any server ran: %v, want a refusal saying no server has recorded its store", err)
	}

	url, stop := startServer(t, server)
	defer stopServer(t, stop)
	cookie, email := signupCookie(t, url, "store-check")

	for _, tt := range []struct {
		name    string
		env     map[string]string
		mention []string
	}{
		{"the default store (postgres)", with(map[string]string{"SESSION_STORE": ""}),
			[]string{"refusing", "SESSION_STORE=redis", "REDIS_KEY_PREFIX=" + prefix, "SESSION_STORE=postgres"}},
		{"another Redis key prefix", with(map[string]string{"REDIS_KEY_PREFIX": "tenantkit:elsewhere:"}),
			[]string{"refusing", "REDIS_KEY_PREFIX=" + prefix, "REDIS_KEY_PREFIX=tenantkit:elsewhere:"}},
	} {
		out, err := disable(tt.env, email)
		if err == nil {
			t.Errorf("users disable with %s: succeeded (%q), want a refusal", tt.name, out)
			continue
		}
		for _, m := range tt.mention {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("users disable with %s: error %q does not mention %q", tt.name, err, m)
			}
		}
		var disabled bool
		if err := d.Owner.QueryRow(ctx, "SELECT disabled_at IS NOT NULL FROM users WHERE lower(email) = lower($1)", email).Scan(&disabled); err != nil || disabled {
			t.Errorf("users disable with %s refused, but the user is disabled (%v, %v)", tt.name, disabled, err)
		}
		if got := get(t, url+"/api/me", cookie); got != http.StatusOK {
			t.Errorf("after the refused users disable with %s: /api/me = %d, want 200", tt.name, got)
		}
	}

	out, err := disable(server, email)
	if err != nil {
		t.Fatalf("users disable with the server's settings: %v", err)
	}
	if !strings.Contains(out, "revoked their sessions") || !strings.Contains(out, prefix) {
		t.Errorf("users disable output %q", out)
	}
	if got := get(t, url+"/api/me/sessions", cookie); got != http.StatusUnauthorized {
		t.Errorf("after users disable: /api/me/sessions = %d, want 401 (the session revoked)", got)
	}
}

// secondDB is another deployment's database, migrated by `migrate up`.
type secondDB struct{ name, appURL, tenantURL string }

// secondDatabase creates and migrates a database beside d's, reached by the
// same test roles, and drops it when the test ends.
func secondDatabase(t *testing.T, d *dbtest.DB) secondDB {
	t.Helper()
	ctx := t.Context()
	name := d.Name + "_b"
	swap := func(u string) string { return strings.Replace(u, "/"+d.Name, "/"+name, 1) }
	db := secondDB{name: name, appURL: swap(d.AppURL), tenantURL: swap(d.TenantURL)}
	t.Cleanup(func() {
		if _, err := d.Owner.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	dbtest.LockMigrations(t) // roles are cluster-wide; other packages migrate too
	// The same group roles as the test databases' (what is compared here is
	// Redis keys): with its own, the test login roles would join a second
	// deployment's groups, which the tenant role check refuses.
	env := map[string]string{"DATABASE_URL": swap(d.OwnerURL), "APP_DATABASE_URL": db.appURL, "TENANT_DATABASE_URL": db.tenantURL,
		"TENANT_CONTEXT_KEY": hex.EncodeToString(d.Key), "DATABASE_ROLE_PREFIX": "tenantkit"}
	var out bytes.Buffer
	if err := run(ctx, []string{"migrate", "up"}, envFrom(env), &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("migrate up %s: %v\n%s", name, err, out.String())
	}
	// Stamped like dbtest's own, so a killed run's copy is cleaned up later.
	if _, err := d.Owner.Exec(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS 'tenantkit test database created %d'", name, time.Now().Unix())); err != nil {
		t.Fatal(err)
	}
	return db
}

// cleanRedis deletes the keys under prefix now and when the test ends.
func cleanRedis(t *testing.T, prefix string) {
	t.Helper()
	c, err := session.NewRedisClient(redisURL())
	if err != nil {
		t.Fatal(err)
	}
	clean := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("clean %s* in redis: %v", prefix, err)
		}
	}
	clean()
	t.Cleanup(func() { clean(); c.Close() })
}

func stopServer(t *testing.T, stop func() error) {
	t.Helper()
	if err := stop(); err != nil {
		t.Errorf("stop the server: %v", err)
	}
}

// signupCookie signs a new user up on the server at url and returns their
// session cookie and email.
func signupCookie(t *testing.T, url, name string) (*http.Cookie, string) {
	t.Helper()
	email := name + "-" + uuid.NewString()[:8] + "@example.com"
	res, err := http.Post(url+"/api/auth/signup", "application/json",
		strings.NewReader(`{"email":"`+email+`","password":"correct horse battery staple","name":"`+name+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || len(res.Cookies()) == 0 {
		t.Fatalf("signup: %d, cookies %v", res.StatusCode, res.Cookies())
	}
	return res.Cookies()[0], email
}

// get returns the status of GET url with cookie.
func get(t *testing.T, url string, cookie *http.Cookie) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(cookie)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// login starts a session for user on m and returns its token.
func login(t *testing.T, m *session.Manager, user uuid.UUID) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := m.Login(r, user); err != nil {
			t.Errorf("login: %v", err)
		}
	})).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	for _, c := range rec.Result().Cookies() {
		if c.Name == m.CookieName() && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("login set no session cookie: %v", rec.Result().Cookies())
	return ""
}

// current returns the session m finds for token.
func current(t *testing.T, m *session.Manager, token string) (session.Session, error) {
	t.Helper()
	var s session.Session
	var err error
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: m.CookieName(), Value: token})
	m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err = m.Current(r)
	})).ServeHTTP(httptest.NewRecorder(), req)
	return s, err
}
