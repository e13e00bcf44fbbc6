package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/tenantkit/tenantkit/internal/dbtest"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/projects"
	"github.com/tenantkit/tenantkit/internal/session"
	"github.com/tenantkit/tenantkit/internal/tenancy"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// stores lists the session stores every HTTP test runs against.
var stores = []string{"postgres", "redis"}

// env is a real server on a real database (as the runtime role) and a real
// session store.
type env struct {
	t        testing.TB
	db       *dbtest.DB
	srv      *httptest.Server
	api      *Server
	ident    *identity.Service
	sessions *session.Manager
}

// fastArgon2 keeps tests quick; the defaults are tested in identity.
var fastArgon2 = identity.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1}

func newEnv(t testing.TB, store string) *env {
	t.Helper()
	return newEnvWith(t, store, false)
}

// newEnvWith builds an env whose session cookie is Secure (__Host-) or not.
func newEnvWith(t testing.TB, store string, secure bool) *env {
	t.Helper()
	d := dbtest.New(t)
	log := slog.New(slog.DiscardHandler)
	e := &env{t: t, db: d}
	ident, err := identity.New(d.App, identity.Config{
		Argon2:    fastArgon2,
		OnDisable: func(ctx context.Context, id uuid.UUID) error { return e.sessions.RevokeAll(ctx, id) },
	})
	if err != nil {
		t.Fatal(err)
	}
	e.ident = ident
	var st session.Store
	switch store {
	case "postgres":
		st = session.NewPostgresStore(d.App)
	case "redis":
		st = newRedisStore(t)
	default:
		t.Fatalf("unknown store %q", store)
	}
	e.sessions = session.NewManager(st, session.Config{
		Logger:    log,
		Secure:    secure,
		ErrorFunc: func(w http.ResponseWriter, r *http.Request, err error) { e.api.WriteError(w, r, err) },
	})
	e.api = NewServer(Config{
		Logger:      log,
		RateLimits:  RateLimits{AuthPerIP: 10000, LoginPerAccount: 10000},
		ReadyChecks: []Check{{Name: "postgres", Check: d.App.Ping}, {Name: "sessions", Check: st.Ping}},
		Identity:    ident,
		Sessions:    e.sessions,
		Tenancy:     tenancy.NewManager(d.App, ident, time.Second),
		Resolver:    tenancy.NewResolver(tenancy.DefaultSources(), "", ident),
		Projects:    projects.NewService(),
	})
	e.srv = newTestHTTPServer(t, e)
	return e
}

// newTestHTTPServer serves e.api as it is at call time, so a test may swap
// in a differently configured server.
func newTestHTTPServer(t testing.TB, e *env) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.api.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	return srv
}

func newRedisStore(t testing.TB) session.Store {
	t.Helper()
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	client, err := session.NewRedisClient(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if err := client.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis at %s: %v (set TEST_REDIS_URL)", url, err)
	}
	prefix := "tktest:" + uuid.NewString() + ":"
	t.Cleanup(func() { deleteKeys(client, prefix) })
	return session.NewRedisStore(client, prefix)
}

func deleteKeys(c redis.UniversalClient, prefix string) {
	ctx := contextBackground()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
}

// client is one browser: it keeps its cookies.
type client struct {
	e    *env
	http *http.Client
}

func (e *env) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{e: e, http: &http.Client{Jar: jar}}
}

// response is a finished response with its body read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map.
func (r response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// Code returns the problem code of an error response.
func (r response) Code(t testing.TB) string {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d, body %s)", ct, r.Status, r.Body)
	}
	code, _ := r.JSON(t)["code"].(string)
	return code
}

// hdr is a header to send.
type hdr struct{ key, value string }

// do sends a request; a non-nil body is sent as JSON unless it is already a
// string or []byte (sent raw, still labelled JSON unless a header says otherwise).
func (c *client) do(method, path string, body any, headers ...hdr) response {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		req.Header.Set(h.key, h.value)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// must sends a request and fails the test unless it answers want.
func (c *client) must(want int, method, path string, body any, headers ...hdr) response {
	c.e.t.Helper()
	r := c.do(method, path, body, headers...)
	if r.Status != want {
		c.e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// sessionCookie returns the client's session token ("" if none).
func (c *client) sessionCookie() string {
	u := mustParseURL(c.e.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, session.DefaultCookieName) {
			return ck.Value
		}
	}
	return ""
}

// withCookie returns a new client that presents only the given session token.
func (c *client) withCookie(token string) *client {
	n := c.e.client()
	u := mustParseURL(c.e.srv.URL)
	n.http.Jar.SetCookies(u, []*http.Cookie{{Name: session.DefaultCookieName, Value: token, Path: "/"}})
	return n
}

// user is a signed-up user with their browser.
type user struct {
	*client
	ID    string
	Email string
}

// signup creates a user with a unique email and returns their signed-in client.
func (e *env) signup(name string) user {
	e.t.Helper()
	c := e.client()
	email := name + "-" + uuid.NewString()[:8] + "@example.com"
	r := c.must(http.StatusCreated, "POST", "/api/auth/signup", map[string]string{
		"email": email, "password": "correct horse battery staple", "name": name,
	})
	u := r.JSON(e.t)["user"].(map[string]any)
	return user{client: c, ID: u["id"].(string), Email: email}
}

// tenant is a created tenant.
type tenant struct{ ID, Slug string }

// createTenant creates a tenant owned by u.
func (u user) createTenant(name string) tenant {
	u.e.t.Helper()
	slug := strings.ToLower(name) + "-" + uuid.NewString()[:8]
	r := u.must(http.StatusCreated, "POST", "/api/tenants", map[string]string{"name": name, "slug": slug})
	t := r.JSON(u.e.t)["tenant"].(map[string]any)
	return tenant{ID: t["id"].(string), Slug: t["slug"].(string)}
}

// createProject creates a project in t (by X-Tenant) and returns its id.
func (u user) createProject(t tenant, name string) string {
	u.e.t.Helper()
	r := u.must(http.StatusCreated, "POST", "/api/projects", map[string]string{"name": name}, hdr{"X-Tenant", t.ID})
	return r.JSON(u.e.t)["project"].(map[string]any)["id"].(string)
}

func contextBackground() context.Context { return context.Background() }

func mustParseURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// eachStore runs fn once per session store, each with its own server.
func eachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, store := range stores {
		t.Run(store, func(t *testing.T) { fn(t, newEnv(t, store)) })
	}
}
