package session

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// countingStore counts the calls the Manager makes to a Store.
type countingStore struct {
	Store
	reads, writes atomic.Int64
}

func (s *countingStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	s.reads.Add(1)
	return s.Store.FindCtx(ctx, token)
}

func (s *countingStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	s.writes.Add(1)
	return s.Store.CommitCtx(ctx, token, b, expiry)
}

func (s *countingStore) TouchCtx(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	s.writes.Add(1)
	return s.Store.TouchCtx(ctx, token, b, expiry)
}

func (s *countingStore) DeleteCtx(ctx context.Context, token string) error {
	s.writes.Add(1)
	return s.Store.DeleteCtx(ctx, token)
}

func (s *countingStore) reset() { s.reads.Store(0); s.writes.Store(0) }

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// app is a Manager behind a few routes, as the HTTP layer uses it.
type app struct {
	m     *Manager
	store *countingStore
	clock *clock
	h     http.Handler

	mu   sync.Mutex
	errs []error // passed to Config.ErrorFunc
}

func newApp(t *testing.T, st Store, cfg Config) *app {
	t.Helper()
	a := &app{store: &countingStore{Store: st}, clock: &clock{now: time.Now().UTC().Truncate(time.Millisecond)}}
	cfg.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		a.mu.Lock()
		a.errs = append(a.errs, err)
		a.mu.Unlock()
		writeErr(w, err)
	}
	a.m = NewManager(a.store, cfg)
	a.m.now = a.clock.Now

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/{user}", func(w http.ResponseWriter, r *http.Request) {
		if err := a.m.Login(r, uuid.MustParse(r.PathValue("user"))); err != nil {
			a.wantCurrentErr(t, r, err)
			writeErr(w, err)
			return
		}
		io.WriteString(w, "logged in")
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s, err := a.m.Current(r)
		if err != nil {
			writeErr(w, err)
			return
		}
		if r.URL.Query().Has("twice") {
			if again, err := a.m.Current(r); err != nil || again != s {
				t.Errorf("second Current in one request = %v, %v; want %v", again, err, s)
			}
		}
		json.NewEncoder(w).Encode(s)
	})
	mux.HandleFunc("POST /tenant/{tenant}", func(w http.ResponseWriter, r *http.Request) {
		if err := a.m.SwitchTenant(r.Context(), uuid.MustParse(r.PathValue("tenant"))); err != nil {
			a.wantCurrentErr(t, r, err)
			writeErr(w, err)
			return
		}
		io.WriteString(w, "switched")
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := a.m.Logout(r.Context()); err != nil {
			writeErr(w, err)
			return
		}
		io.WriteString(w, "logged out")
	})
	mux.HandleFunc("POST /revoke-all-then-me/{user}", func(w http.ResponseWriter, r *http.Request) {
		if err := a.m.RevokeAll(r.Context(), uuid.MustParse(r.PathValue("user"))); err != nil {
			writeErr(w, err)
			return
		}
		if _, err := a.m.Current(r); err != nil {
			writeErr(w, err)
			return
		}
		io.WriteString(w, "still here")
	})
	// Revocations landing in the middle of a request, as another request
	// or `users disable` would make them.
	revoke := func(r *http.Request, how string, s Session) error {
		switch how {
		case "all":
			return a.m.RevokeAll(r.Context(), s.UserID)
		case "one":
			return a.m.Revoke(r.Context(), s.UserID, s.ID)
		}
		return errors.New("unknown revocation " + how)
	}
	mux.HandleFunc("POST /revoke-then-switch/{how}/{tenant}", func(w http.ResponseWriter, r *http.Request) {
		s, err := a.m.Current(r)
		if err == nil {
			err = revoke(r, r.PathValue("how"), s)
		}
		if err == nil {
			err = a.m.SwitchTenant(r.Context(), uuid.MustParse(r.PathValue("tenant")))
		}
		if err != nil {
			writeErr(w, err)
			return
		}
		io.WriteString(w, "switched")
	})
	mux.HandleFunc("POST /switch-then-revoke/{how}/{tenant}", func(w http.ResponseWriter, r *http.Request) {
		err := a.m.SwitchTenant(r.Context(), uuid.MustParse(r.PathValue("tenant")))
		if err == nil {
			var s Session
			if s, err = a.m.Current(r); err == nil {
				err = revoke(r, r.PathValue("how"), s)
			}
		}
		if err != nil {
			writeErr(w, err)
			return
		}
		io.WriteString(w, "switched, then revoked")
	})
	mux.HandleFunc("POST /login-then-revoke/{how}/{user}", func(w http.ResponseWriter, r *http.Request) {
		err := a.m.Login(r, uuid.MustParse(r.PathValue("user")))
		if err == nil {
			var s Session
			if s, err = a.m.Current(r); err == nil {
				err = revoke(r, r.PathValue("how"), s)
			}
		}
		if err != nil {
			writeErr(w, err)
			return
		}
		io.WriteString(w, "logged in, then revoked")
	})
	mux.HandleFunc("POST /revoke-then-login/{user}", func(w http.ResponseWriter, r *http.Request) {
		s, err := a.m.Current(r)
		if err == nil {
			err = revoke(r, "all", s)
		}
		if err == nil {
			err = a.m.Login(r, uuid.MustParse(r.PathValue("user")))
		}
		if err != nil {
			writeErr(w, err)
			return
		}
		io.WriteString(w, "logged in")
	})
	a.h = a.m.LoadAndSave(mux)
	return a
}

// wantCurrentErr checks that after Login or SwitchTenant failed with err,
// Current reports err too rather than a session.
func (a *app) wantCurrentErr(t *testing.T, r *http.Request, err error) {
	if _, got := a.m.Current(r); !errors.Is(got, err) {
		t.Errorf("Current after a failed Login or SwitchTenant = %v, want %v", got, err)
	}
}

func writeErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNoSession):
		http.Error(w, "no session", http.StatusUnauthorized)
	case errors.Is(err, ErrNotFound):
		http.Error(w, "not found", http.StatusNotFound)
	case errors.Is(err, ErrUnavailable):
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	default:
		http.Error(w, "internal: "+err.Error(), http.StatusInternalServerError)
	}
}

type result struct {
	status int
	body   string
	cookie *http.Cookie // the session cookie set, if any
	raw    string       // its Set-Cookie header
}

// do sends one request carrying token (if any) as the session cookie.
func (a *app) do(t *testing.T, method, path, token string, edit ...func(*http.Request)) result {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	if token != "" {
		r.AddCookie(&http.Cookie{Name: a.m.CookieName(), Value: token})
	}
	for _, e := range edit {
		e(r)
	}
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, r)
	res := result{status: w.Code, body: w.Body.String()}
	for _, raw := range w.Result().Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(raw)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", raw, err)
		}
		if c.Name == a.m.CookieName() {
			if res.cookie != nil {
				t.Fatalf("two session cookies set: %q and %q", res.raw, raw)
			}
			res.cookie, res.raw = c, raw
		}
	}
	return res
}

// login logs userID in and returns the session token.
func (a *app) login(t *testing.T, userID uuid.UUID, edit ...func(*http.Request)) string {
	t.Helper()
	res := a.do(t, "POST", "/login/"+userID.String(), "", edit...)
	if res.status != http.StatusOK || res.cookie == nil || res.cookie.Value == "" {
		t.Fatalf("login: status %d, cookie %q, body %q", res.status, res.raw, res.body)
	}
	return res.cookie.Value
}

// me returns the session for token, or fails the test.
func (a *app) me(t *testing.T, token string) Session {
	t.Helper()
	res := a.do(t, "GET", "/me", token)
	if res.status != http.StatusOK {
		t.Fatalf("GET /me: status %d, body %q", res.status, res.body)
	}
	var s Session
	if err := json.Unmarshal([]byte(res.body), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (a *app) wantNoSession(t *testing.T, token string) {
	t.Helper()
	if res := a.do(t, "GET", "/me", token); res.status != http.StatusUnauthorized {
		t.Errorf("GET /me with a dead token: status %d, body %q; want 401", res.status, res.body)
	}
}

func (a *app) wantNotStored(t *testing.T, token string) {
	t.Helper()
	if _, found, err := a.store.Store.FindCtx(t.Context(), token); err != nil || found {
		t.Errorf("store: FindCtx(token) = found %v, err %v; want not found", found, err)
	}
}

// wantNoLiveSession checks that userID has no live session left, by the
// Manager and by the store's own index.
func (a *app) wantNoLiveSession(t *testing.T, userID uuid.UUID) {
	t.Helper()
	if list, err := a.m.List(t.Context(), userID); err != nil || len(list) != 0 {
		t.Errorf("List = %v, %v; want no sessions", list, err)
	}
	if recs, err := a.store.Store.ListUser(t.Context(), userID); err != nil || len(recs) != 0 {
		t.Errorf("store: ListUser = %d records, %v; want none", len(recs), err)
	}
}

func (a *app) errors() []error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.errs
}

// forEachStore runs fn against every Store implementation.
func forEachStore(t *testing.T, fn func(t *testing.T, st Store)) {
	for _, impl := range storeImpls {
		t.Run(impl.name, func(t *testing.T) { fn(t, impl.harness(t).store) })
	}
}
