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
// scs owns the cookie and the token: it loads the record the cookie names,
// issues a new token on Login and SwitchTenant (RenewToken), deletes the
// record on Logout and expiry (Destroy), and sets or clears the cookie when
// the response starts. The Manager decides when a record is written:
//
//   - Only Login creates a record, committing it before it returns, so a
//     store failure fails the login and a revocation from then on finds the
//     record. SwitchTenant moves the record to its new token (RotateCtx) only
//     while the old one still exists. scs's commit at the end of the request
//     writes nothing (scsStore), so it cannot undo a revocation that landed
//     during the request.
//   - scs runs with Lifetime only: its IdleTimeout would rewrite the record
//     and the cookie on every request. Current writes LastSeenAt at most once
//     per TouchInterval (TouchCtx, which never creates a record), and a
//     record's expiry in the store is always min(LastSeenAt+IdleTimeout,
//     CreatedAt+Lifetime), so the store forgets idle sessions by itself too.
//
// The cookie is a browser-session cookie (no Max-Age): the server decides
// when a session ends, and the browser drops the cookie when it closes.
type Manager struct {
	scs     *scs.SessionManager
	store   Store
	cfg     Config
	now     func() time.Time
	observe func(LookupResult)
	// tokenKey derives refresh-token successors (tokens.go); nil when
	// Config.TokenKey is.
	tokenKey []byte
}

// LookupResult is how a request's session lookup ended, for metrics
// (ObserveLookups).
type LookupResult string

// The results of a session lookup.
const (
	LookupFound   LookupResult = "found"   // a live session
	LookupNone    LookupResult = "none"    // no session cookie: the store was not asked
	LookupUnknown LookupResult = "unknown" // a cookie whose token the store does not hold (never issued, logged out, revoked, or expired in the store)
	LookupExpired LookupResult = "expired" // past its idle timeout or lifetime: ended
	LookupRevoked LookupResult = "revoked" // gone from the store since the request loaded it (seen when touching it)
	LookupCorrupt LookupResult = "corrupt" // a record that holds no session or cannot be decoded: deleted
	LookupError   LookupResult = "error"   // the store failed: the request is answered 503, never anonymously
)

// LookupResults lists every LookupResult.
func LookupResults() []LookupResult {
	return []LookupResult{LookupFound, LookupNone, LookupUnknown, LookupExpired, LookupRevoked, LookupCorrupt, LookupError}
}

// ObserveLookups has m report the result of each request's session lookup
// to fn, once per request that passes LoadAndSave: found, expired, revoked
// or error when Current first checks the session; none, unknown, corrupt
// or error (the store read failed) when LoadAndSave finds none to check.
// Call it while wiring, before the first request; fn must be safe for
// concurrent use and quick (it runs on the request path).
func (m *Manager) ObserveLookups(fn func(LookupResult)) { m.observe = fn }

// NewManager returns a Manager on store. It panics on a Config that cannot
// work (see Config).
func NewManager(store Store, cfg Config) *Manager {
	cfg = cfg.withDefaults()
	name := cfg.CookieName
	if cfg.Secure {
		name = "__Host-" + name
	}
	sm := scs.New()
	sm.Store = scsStore{store: store}
	sm.Codec = codec{}
	sm.Lifetime = cfg.Lifetime  // and no IdleTimeout: see the type's comment
	sm.HashTokenInStore = false // the stores hash every token themselves
	sm.Cookie = scs.SessionCookie{Name: name, HttpOnly: true, Path: "/", SameSite: http.SameSiteLaxMode, Secure: cfg.Secure}
	key, err := tokenKey(cfg.TokenKey)
	if err != nil {
		panic("session: Config.TokenKey: " + err.Error())
	}
	m := &Manager{scs: sm, store: store, cfg: cfg, now: func() time.Time { return time.Now().UTC() }, observe: func(LookupResult) {}, tokenKey: key}
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		// The commit of an abandoned session fails so that no cookie names
		// its token; the caller of Login or SwitchTenant got the error and
		// answers it. Any other error here is the load's (scsStore commits
		// nothing else at the end of a request).
		if !errors.As(err, new(abandoned)) {
			m.observe(LookupError)
			cfg.ErrorFunc(w, r, err)
		}
	}
	return m
}

// CookieName is the name of the session cookie.
func (m *Manager) CookieName() string { return m.scs.Cookie.Name }

// LoadAndSave is the session middleware: it loads the session named by the
// cookie (one store read), and sets or clears the cookie when Login,
// SwitchTenant or Logout changed the session. When the store fails it
// answers with Config.ErrorFunc and the handler does not run. A record that
// cannot be decoded counts as no session: it is deleted, its cookie cleared,
// and the request goes on anonymously.
func (m *Manager) LoadAndSave(next http.Handler) http.Handler {
	return m.scs.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		switch {
		case m.scs.Token(ctx) == "":
			// scs found nothing: no cookie, or a token the store lacks.
			// (Only this anonymous path reads the cookie a second time.)
			if _, err := r.Cookie(m.scs.Cookie.Name); err != nil {
				m.observe(LookupNone)
			} else {
				m.observe(LookupUnknown)
			}
		case m.scs.Get(ctx, recordKey) == nil:
			// A record with no session in it, or one that does not decode
			// (codec.Decode reads both as empty).
			m.observe(LookupCorrupt)
			m.cfg.Logger.WarnContext(ctx, "session record holds no session or cannot be decoded; deleting it, the request goes on anonymously")
			if err := m.scs.Destroy(ctx); err != nil {
				m.cfg.ErrorFunc(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, requestKey{}, new(request))))
	}))
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
	req, err := requestFrom(ctx)
	if err != nil {
		return Session{}, err
	}
	switch v := m.scs.Get(ctx, recordKey).(type) {
	case abandoned:
		return Session{}, v.err
	case Session:
		if m.scs.Status(ctx) == scs.Modified {
			return v, nil // stored by Login or SwitchTenant in this request
		}
		req.once.Do(func() {
			var result LookupResult
			req.sess, result, req.err = m.resolve(ctx, v)
			m.observe(result)
		})
		return req.sess, req.err
	}
	return Session{}, ErrNoSession
}

// resolve checks the session s that scs loaded, and touches it when due.
// It also says how the lookup ended, for ObserveLookups.
func (m *Manager) resolve(ctx context.Context, s Session) (Session, LookupResult, error) {
	now := m.now()
	if !m.alive(s, now) {
		return Session{}, LookupExpired, m.end(ctx)
	}
	if now.Sub(s.LastSeenAt) < m.cfg.TouchInterval {
		return s, LookupFound, nil
	}
	s.LastSeenAt = now
	b, deadline, err := m.encodeRecord(s)
	if err != nil {
		return Session{}, LookupError, err
	}
	found, err := m.store.TouchCtx(ctx, m.scs.Token(ctx), b, deadline)
	if err != nil {
		return Session{}, LookupError, err
	}
	if !found { // revoked or expired since it was loaded
		return Session{}, LookupRevoked, m.end(ctx)
	}
	return s, LookupFound, nil
}

// end destroys the request's session (deleting its record, clearing the
// cookie) and returns ErrNoSession, or the store's error.
func (m *Manager) end(ctx context.Context) error {
	if err := m.scs.Destroy(ctx); err != nil {
		return m.abandon(ctx, fmt.Errorf("end session: %w", err))
	}
	return ErrNoSession
}

// alive reports whether s is within both its idle timeout and lifetime.
func (m *Manager) alive(s Session, now time.Time) bool {
	return now.Before(m.deadline(s))
}

// deadline is when s ends unless used again.
func (m *Manager) deadline(s Session) time.Time {
	idle, absolute := s.LastSeenAt.Add(m.cfg.IdleTimeout), s.CreatedAt.Add(m.cfg.Lifetime)
	if idle.Before(absolute) {
		return idle
	}
	return absolute
}

// encodeRecord is what the store keeps for s, and when it expires.
func (m *Manager) encodeRecord(s Session) ([]byte, time.Time, error) {
	deadline := m.deadline(s)
	b, err := codec{}.Encode(deadline, map[string]any{recordKey: s})
	return b, deadline, err
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
	if _, err := requestFrom(ctx); err != nil {
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
	if err := m.scs.RenewToken(ctx); err != nil { // deletes the previous record
		return m.abandon(ctx, fmt.Errorf("login: %w", err))
	}
	m.scs.Put(ctx, recordKey, s)
	m.scs.SetDeadline(ctx, m.deadline(s))
	if _, _, err := m.scs.Commit(context.WithValue(ctx, creating{}, true)); err != nil {
		return m.abandon(ctx, fmt.Errorf("login: %w", err))
	}
	return nil
}

// SwitchTenant records tenantID (uuid.Nil for none) as the session's
// current tenant under a new token. It does not check membership, and does
// not extend the session's lifetime. ErrNoSession when there is no session,
// also when it was revoked, logged out or expired after the request loaded
// it (the store moves the record to the new token only while the old one
// still exists, see Store.RotateCtx); the cookie is then cleared.
func (m *Manager) SwitchTenant(ctx context.Context, tenantID uuid.UUID) error {
	return m.rotate(ctx, "switch tenant", func(s *Session) { s.TenantID = tenantID })
}

// Renew moves the request's session to a new token, record unchanged but
// for LastSeenAt, so a copy of the old token stops working (after a
// password change, say). Errors as SwitchTenant's.
func (m *Manager) Renew(ctx context.Context) error {
	return m.rotate(ctx, "renew", func(*Session) {})
}

// rotate moves the request's session, changed by change, to a new token.
func (m *Manager) rotate(ctx context.Context, op string, change func(*Session)) error {
	s, err := m.current(ctx)
	if err != nil {
		return err
	}
	change(&s)
	s.LastSeenAt = m.now()
	b, deadline, err := m.encodeRecord(s)
	if err != nil {
		return err
	}
	old := m.scs.Token(ctx)
	if err := m.scs.RenewToken(context.WithValue(ctx, moving{}, true)); err != nil {
		return m.abandon(ctx, fmt.Errorf("%s: %w", op, err))
	}
	found, err := m.store.RotateCtx(ctx, old, m.scs.Token(ctx), b, deadline)
	switch {
	case err != nil:
		return m.abandon(ctx, fmt.Errorf("%s: %w", op, err))
	case !found:
		return m.end(ctx)
	}
	m.scs.Put(ctx, recordKey, s)
	m.scs.SetDeadline(ctx, deadline)
	return nil
}

// Logout deletes the request's session from the store and clears the
// cookie. Without a session it only clears the cookie.
func (m *Manager) Logout(ctx context.Context) error {
	if _, err := requestFrom(ctx); err != nil {
		return err
	}
	if err := m.scs.Destroy(ctx); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// abandon makes err the request's session after Login or SwitchTenant has
// had scs issue a token whose record it could not store: Current reports
// err, and the codec refuses to encode it, so scs's commit at the end of the
// request fails and no cookie names the token. It returns err.
func (m *Manager) abandon(ctx context.Context, err error) error {
	m.scs.Put(ctx, recordKey, abandoned{err})
	return err
}

// abandoned is the session value abandon leaves.
type abandoned struct{ err error }

func (a abandoned) Error() string { return "session abandoned: " + a.err.Error() }
