package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/google/uuid"
)

// Manager runs the session lifecycle on top of scs.
//
// scs is configured with Lifetime only. Its IdleTimeout would rewrite the
// store and the cookie on every request, so the Manager enforces the idle
// timeout itself: the Session's LastSeenAt is written at most once per
// TouchInterval (TouchCtx, never creating a record), and the record's
// expiry in the store is always min(LastSeenAt+IdleTimeout,
// CreatedAt+Lifetime), so the store forgets idle sessions by itself too.
//
// The cookie is a browser-session cookie (no Max-Age): the server decides
// when a session ends, and the browser drops the cookie when it closes.
type Manager struct {
	scs   *scs.SessionManager
	store Store
	cfg   Config
	now   func() time.Time
}

// NewManager returns a Manager on store. It panics on a Config that cannot
// work (see Config).
func NewManager(store Store, cfg Config) *Manager {
	cfg = cfg.withDefaults()
	m := &Manager{store: store, cfg: cfg, now: func() time.Time { return time.Now().UTC() }}

	sm := scs.New()
	sm.Store = store
	sm.Codec = codec{}
	sm.Lifetime = cfg.Lifetime
	sm.IdleTimeout = 0          // enforced by the Manager; see the type's comment
	sm.HashTokenInStore = false // the stores hash every token themselves
	name := cfg.CookieName
	if cfg.Secure {
		name = "__Host-" + name
	}
	sm.Cookie = scs.SessionCookie{
		Name:     name,
		HttpOnly: true,
		Path:     "/",
		SameSite: http.SameSiteLaxMode,
		Secure:   cfg.Secure,
		Persist:  false,
	}
	sm.ErrorFunc = m.fail
	m.scs = sm
	return m
}

// CookieName is the name of the session cookie.
func (m *Manager) CookieName() string { return m.scs.Cookie.Name }

// LoadAndSave is the session middleware: it loads the session named by the
// cookie (one store read), and saves it and sets the cookie when Login,
// SwitchTenant or Logout changed it. When the store fails it answers with
// Config.ErrorFunc and the rest of the handler's response is discarded.
func (m *Manager) LoadAndSave(next http.Handler) http.Handler {
	withState := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), stateKey{}, &requestState{})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
	h := m.scs.LoadAndSave(withState)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&guardedWriter{ResponseWriter: w}, r)
	})
}

// fail is scs's ErrorFunc. scs may call it after the handler has started
// (when committing before the first write), so once the error response is
// written the guard discards whatever the handler writes after it.
func (m *Manager) fail(w http.ResponseWriter, r *http.Request, err error) {
	m.cfg.ErrorFunc(w, r, err)
	if g, ok := w.(*guardedWriter); ok {
		g.abandoned = true
	}
}

// Current returns the request's session, or ErrNoSession when it has none
// or it has expired (an expired one is deleted and its cookie cleared). At
// most once per TouchInterval it writes the last-seen time, which also
// notices a session revoked since it was loaded. A store failure is
// returned, never ErrNoSession. The result is cached for the request.
func (m *Manager) Current(r *http.Request) (Session, error) {
	return m.current(r.Context())
}

func (m *Manager) current(ctx context.Context) (Session, error) {
	st, err := stateFrom(ctx)
	if err != nil {
		return Session{}, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.resolved {
		st.sess, st.err = m.resolve(ctx)
		st.resolved = true
	}
	return st.sess, st.err
}

func (m *Manager) resolve(ctx context.Context) (Session, error) {
	s, ok := m.scs.Get(ctx, recordKey).(Session)
	if !ok || s.UserID == uuid.Nil {
		return Session{}, ErrNoSession
	}
	now := m.now()
	if !m.alive(s, now) {
		return Session{}, m.end(ctx)
	}
	if now.Sub(s.LastSeenAt) < m.cfg.TouchInterval {
		return s, nil
	}
	s.LastSeenAt = now
	deadline := m.deadline(s)
	b, err := codec{}.Encode(deadline, map[string]any{recordKey: s})
	if err != nil {
		return Session{}, err
	}
	found, err := m.store.TouchCtx(ctx, m.scs.Token(ctx), b, deadline)
	if err != nil {
		return Session{}, err
	}
	if !found { // revoked or expired since it was loaded
		return Session{}, m.end(ctx)
	}
	return s, nil
}

// end destroys the request's session and returns ErrNoSession, or the
// store's error.
func (m *Manager) end(ctx context.Context) error {
	if err := m.scs.Destroy(ctx); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return ErrNoSession
}

// alive reports whether s is within both its idle timeout and lifetime.
func (m *Manager) alive(s Session, now time.Time) bool {
	return now.Before(m.deadline(s))
}

// deadline is when s ends unless used again.
func (m *Manager) deadline(s Session) time.Time {
	idle := s.LastSeenAt.Add(m.cfg.IdleTimeout)
	absolute := s.CreatedAt.Add(m.cfg.Lifetime)
	if idle.Before(absolute) {
		return idle
	}
	return absolute
}

// put makes s the request's session, to be committed (with its deadline as
// the store's expiry) when the response starts.
func (m *Manager) put(ctx context.Context, st *requestState, s Session) {
	m.scs.Put(ctx, recordKey, s)
	m.scs.SetDeadline(ctx, m.deadline(s))
	st.set(s, nil)
}

// Login starts a session for userID under a new token, replacing (and
// deleting) any session the request had. IP is r.RemoteAddr, so resolve
// trusted proxies before this runs; the user agent is truncated.
func (m *Manager) Login(r *http.Request, userID uuid.UUID) error {
	ctx := r.Context()
	st, err := stateFrom(ctx)
	if err != nil {
		return err
	}
	if userID == uuid.Nil {
		return errors.New("session: login without a user id")
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return fmt.Errorf("session id: %w", err)
	}
	if err := m.scs.RenewToken(ctx); err != nil {
		return fmt.Errorf("renew session token: %w", err)
	}
	now := m.now()
	m.put(ctx, st, Session{
		ID:         id,
		UserID:     userID,
		CreatedAt:  now,
		LastSeenAt: now,
		IP:         clientIP(r.RemoteAddr),
		UserAgent:  truncateUserAgent(r.UserAgent()),
	})
	return nil
}

// SwitchTenant records tenantID (uuid.Nil for none) as the session's
// current tenant under a new token. It does not check membership, and does
// not extend the session's lifetime. ErrNoSession when there is no session.
func (m *Manager) SwitchTenant(ctx context.Context, tenantID uuid.UUID) error {
	st, err := stateFrom(ctx)
	if err != nil {
		return err
	}
	s, err := m.current(ctx)
	if err != nil {
		return err
	}
	if err := m.scs.RenewToken(ctx); err != nil {
		return fmt.Errorf("renew session token: %w", err)
	}
	s.TenantID = tenantID
	s.LastSeenAt = m.now()
	m.put(ctx, st, s)
	return nil
}

// Logout deletes the request's session from the store and clears the
// cookie. Without a session it only clears the cookie.
func (m *Manager) Logout(ctx context.Context) error {
	st, err := stateFrom(ctx)
	if err != nil {
		return err
	}
	if err := m.scs.Destroy(ctx); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	st.set(Session{}, ErrNoSession)
	return nil
}

// stateKey is the context key of a request's requestState.
type stateKey struct{}

// requestState caches Current for one request, so a second call neither
// reads nor touches the store again, and Login/SwitchTenant/Logout update
// what it returns.
type requestState struct {
	mu       sync.Mutex
	resolved bool
	sess     Session
	err      error
}

func (st *requestState) set(s Session, err error) {
	st.mu.Lock()
	st.sess, st.err, st.resolved = s, err, true
	st.mu.Unlock()
}

func stateFrom(ctx context.Context) (*requestState, error) {
	st, ok := ctx.Value(stateKey{}).(*requestState)
	if !ok {
		return nil, errNoMiddleware
	}
	return st, nil
}

// guardedWriter discards the handler's output once the session layer has
// answered with an error.
type guardedWriter struct {
	http.ResponseWriter
	abandoned bool
}

// errAbandoned is what a handler's Write returns after the session layer
// answered with an error instead.
var errAbandoned = errors.New("session: response abandoned after a session store error")

func (g *guardedWriter) WriteHeader(code int) {
	if !g.abandoned {
		g.ResponseWriter.WriteHeader(code)
	}
}

func (g *guardedWriter) Write(b []byte) (int, error) {
	if g.abandoned {
		return 0, errAbandoned
	}
	return g.ResponseWriter.Write(b)
}

func (g *guardedWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }
