package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
// Only Login creates a record, and it writes it before it returns;
// SwitchTenant moves one to its new token (RotateCtx) only while the old
// record still exists; scs's commit at the end of the request only sets the
// cookie (see scsStore). So a revocation that lands during a request is
// never undone: not by a tenant switch after it, nor by the end-of-request
// commit after a switch or login.
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
	sm.Store = scsStore{m}
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
// cookie (one store read), and sets or clears the cookie when Login,
// SwitchTenant or Logout changed the session. When the store fails it
// answers with Config.ErrorFunc and the rest of the handler's response is
// discarded. A record that cannot be decoded counts as no session: it is
// deleted, its cookie cleared, and the request goes on anonymously.
func (m *Manager) LoadAndSave(next http.Handler) http.Handler {
	loaded := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := stateFrom(r.Context())
		if err != nil {
			m.fail(w, r, err)
			return
		}
		st.tokens.Lock()
		discarded := st.discarded
		st.tokens.Unlock()
		if discarded {
			// The record is gone (scsStore.FindCtx); this only clears the
			// cookie, unless the handler logs in.
			if err := m.scs.Destroy(r.Context()); err != nil {
				m.fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
	h := m.scs.LoadAndSave(loaded)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The state goes in before scs loads, so that scsStore sees it in
		// every call scs makes for this request.
		ctx := context.WithValue(r.Context(), stateKey{}, &requestState{})
		h.ServeHTTP(&guardedWriter{ResponseWriter: w}, r.WithContext(ctx))
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
	b, deadline, err := m.encodeRecord(s)
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

// put makes s, whose record is stored under the request's current token,
// the request's session; scs then sets the cookie when the response starts.
func (m *Manager) put(ctx context.Context, st *requestState, s Session) {
	st.tokens.Lock()
	st.written = true
	st.tokens.Unlock()
	m.scs.Put(ctx, recordKey, s)
	m.scs.SetDeadline(ctx, m.deadline(s))
	st.set(s, nil)
}

// renew has scs issue a new token for the request and returns the old one
// ("" when the request had no session) and the new one. It writes nothing:
// the caller deletes or moves the old record and stores the new one.
func (m *Manager) renew(ctx context.Context, st *requestState) (old, token string, err error) {
	old = m.scs.Token(ctx)
	st.tokens.Lock()
	st.renewing = true
	st.tokens.Unlock()
	err = m.scs.RenewToken(ctx)
	st.tokens.Lock()
	st.renewing = false
	st.tokens.Unlock()
	if err != nil {
		return "", "", fmt.Errorf("renew session token: %w", err)
	}
	token = m.scs.Token(ctx)
	st.tokens.Lock()
	st.issued, st.written, st.failed = token, false, nil
	st.tokens.Unlock()
	return old, token, nil
}

// abandon records that the request's new token has no record because of
// err: Current then reports err, and the commit at the end of the request
// fails with it (Config.ErrorFunc answers), so no cookie names the token.
func (m *Manager) abandon(st *requestState, err error) error {
	st.tokens.Lock()
	st.failed = err
	st.tokens.Unlock()
	st.set(Session{}, err)
	return err
}

// encodeRecord is what the store keeps for s, and when it expires.
func (m *Manager) encodeRecord(s Session) ([]byte, time.Time, error) {
	deadline := m.deadline(s)
	b, err := codec{}.Encode(deadline, map[string]any{recordKey: s})
	return b, deadline, err
}

// discard is what scsStore.FindCtx does with a record it cannot decode
// (corrupt, or from a codec version this server does not know): delete it,
// best effort, and have LoadAndSave clear the cookie. The request goes on
// without a session rather than failing for as long as the cookie lives.
func (m *Manager) discard(ctx context.Context, token string, cause error) {
	args := []any{"err", cause}
	if err := m.store.DeleteCtx(ctx, token); err != nil {
		args = append(args, "delete_err", err)
	}
	m.cfg.Logger.WarnContext(ctx, "session record cannot be decoded; treating the request as anonymous", args...)
	if st, err := stateFrom(ctx); err == nil {
		st.tokens.Lock()
		st.discarded = true
		st.tokens.Unlock()
	}
}

// Login starts a session for userID under a new token, replacing (and
// deleting) any session the request had. IP is r.RemoteAddr, so resolve
// trusted proxies before this runs; the user agent is truncated.
//
// Login follows a fresh authentication, so it does not need the request's
// previous session to still exist. It stores the new session before it
// returns, so a revocation from then on ends it. A revocation (such as
// `users disable`) that lands between the caller's credential check and
// Login is the caller's to prevent.
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
	now := m.now()
	s := Session{
		ID:         id,
		UserID:     userID,
		CreatedAt:  now,
		LastSeenAt: now,
		IP:         clientIP(r.RemoteAddr),
		UserAgent:  truncateUserAgent(r.UserAgent()),
	}
	b, deadline, err := m.encodeRecord(s)
	if err != nil {
		return err
	}
	old, token, err := m.renew(ctx, st)
	if err != nil {
		return m.abandon(st, err)
	}
	if old != "" {
		if err := m.store.DeleteCtx(ctx, old); err != nil {
			return m.abandon(st, fmt.Errorf("login: %w", err))
		}
	}
	if err := m.store.CommitCtx(ctx, token, b, deadline); err != nil {
		return m.abandon(st, fmt.Errorf("login: %w", err))
	}
	m.put(ctx, st, s)
	return nil
}

// SwitchTenant records tenantID (uuid.Nil for none) as the session's
// current tenant under a new token. It does not check membership, and does
// not extend the session's lifetime. ErrNoSession when there is no session,
// also when it was revoked, logged out or expired after the request loaded
// it (the store moves the record to the new token only while the old one
// still exists, see Store.RotateCtx); the cookie is then cleared.
func (m *Manager) SwitchTenant(ctx context.Context, tenantID uuid.UUID) error {
	st, err := stateFrom(ctx)
	if err != nil {
		return err
	}
	s, err := m.current(ctx)
	if err != nil {
		return err
	}
	s.TenantID = tenantID
	s.LastSeenAt = m.now()
	b, deadline, err := m.encodeRecord(s)
	if err != nil {
		return err
	}
	old, token, err := m.renew(ctx, st)
	if err != nil {
		return m.abandon(st, err)
	}
	found, err := m.store.RotateCtx(ctx, old, token, b, deadline)
	if err != nil {
		return m.abandon(st, fmt.Errorf("switch tenant: %w", err))
	}
	if !found {
		err := m.end(ctx) // nothing left to delete; clears the cookie
		st.set(Session{}, err)
		return err
	}
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
