package session

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// A revocation that lands while a request is in flight (RevokeAll from
// `users disable`, Revoke from another device) ends the session for good: a
// tenant switch later in that request fails with ErrNoSession instead of
// bringing the session back under a new token.
func TestSwitchTenantAfterRevocation(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		for _, how := range []string{"all", "one"} {
			a := newApp(t, st, Config{})
			user := uuid.New()
			token := a.login(t, user)

			res := a.do(t, "POST", "/revoke-then-switch/"+how+"/"+uuid.NewString(), token)
			// writeErr answers 401 only when errors.Is(err, ErrNoSession).
			if res.status != http.StatusUnauthorized {
				t.Errorf("revoke %s, then switch tenant: status %d, body %q; want 401 (ErrNoSession)", how, res.status, res.body)
			}
			if res.cookie == nil || res.cookie.Value != "" || res.cookie.MaxAge >= 0 {
				t.Errorf("revoke %s, then switch tenant: cookie %q, want it cleared", how, res.raw)
			}
			a.wantNoSession(t, token)
			a.wantNoLiveSession(t, user)
			if errs := a.errors(); len(errs) != 0 {
				t.Errorf("revoke %s, then switch tenant: ErrorFunc got %v", how, errs)
			}
		}
	})
}

// Login and SwitchTenant store the new session before they return, so a
// revocation later in the same request (or in another one before the
// response is written) ends it, rather than being undone by the commit at
// the end of the request.
func TestRevocationAfterRenewalInRequest(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		for _, how := range []string{"all", "one"} {
			a := newApp(t, st, Config{})
			user := uuid.New()
			token := a.login(t, user)
			for _, path := range []string{
				"/switch-then-revoke/" + how + "/" + uuid.NewString(),
				"/login-then-revoke/" + how + "/" + user.String(),
			} {
				res := a.do(t, "POST", path, token)
				if res.status != http.StatusOK {
					t.Errorf("%s: status %d, body %q; want 200", path, res.status, res.body)
				}
				if res.cookie != nil && res.cookie.Value != "" {
					a.wantNoSession(t, res.cookie.Value)
				}
				a.wantNoLiveSession(t, user)
				token = a.login(t, user)
			}
		}
	})
}

// Login is a fresh authentication: it does not need the request's previous
// session, so it succeeds although that one was revoked meanwhile, and the
// previous one stays revoked.
func TestLoginAfterRevocationInRequest(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		a := newApp(t, st, Config{})
		user := uuid.New()
		token := a.login(t, user)
		res := a.do(t, "POST", "/revoke-then-login/"+user.String(), token)
		if res.status != http.StatusOK || res.cookie == nil || res.cookie.Value == "" || res.cookie.Value == token {
			t.Fatalf("revoke, then login: status %d, cookie %q; want 200 and a new token", res.status, res.raw)
		}
		a.wantNoSession(t, token)
		if got := a.me(t, res.cookie.Value).UserID; got != user {
			t.Errorf("session user = %s, want %s", got, user)
		}
		if list, err := a.m.List(t.Context(), user); err != nil || len(list) != 1 {
			t.Errorf("List = %v, %v; want the new session alone", list, err)
		}
	})
}

// racingStore moves one session to a new token right after ListUser has
// listed it, as a tenant switch in another request can.
type racingStore struct {
	Store
	t               *testing.T
	once            sync.Once
	token, newToken string
}

func (s *racingStore) ListUser(ctx context.Context, userID uuid.UUID) ([]Record, error) {
	recs, err := s.Store.ListUser(ctx, userID)
	s.once.Do(func() {
		b, found, err := s.Store.FindCtx(ctx, s.token)
		if err != nil || !found {
			s.t.Errorf("racingStore: FindCtx = %v, %v", found, err)
			return
		}
		if found, err := s.Store.RotateCtx(ctx, s.token, s.newToken, b, time.Now().Add(time.Hour)); err != nil || !found {
			s.t.Errorf("racingStore: RotateCtx = %v, %v", found, err)
		}
	})
	return recs, err
}

// Revoke ends a session that a tenant switch moved to a new token between
// listing it and deleting it.
func TestRevokeRacingSwitch(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		a := newApp(t, st, Config{})
		user := uuid.New()
		token := a.login(t, user)
		sess := a.me(t, token)
		other := a.login(t, user)

		racing := &racingStore{Store: st, t: t, token: token, newToken: newToken()}
		m := NewManager(racing, Config{})
		m.now = a.clock.Now // the sessions' clock, not the wall clock
		if err := m.Revoke(t.Context(), user, sess.ID); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		a.wantNoSession(t, token)
		a.wantNoSession(t, racing.newToken)
		if list, err := a.m.List(t.Context(), user); err != nil || len(list) != 1 || list[0].ID == sess.ID {
			t.Errorf("List = %v, %v; want the other session alone", list, err)
		}
		a.me(t, other)
	})
}

// failingRotation is a Store whose RotateCtx fails as an outage would.
type failingRotation struct{ Store }

func (failingRotation) RotateCtx(context.Context, string, string, []byte, time.Time) (bool, error) {
	return false, fmt.Errorf("rotate: %w", ErrUnavailable)
}

// When the store fails during a tenant switch, SwitchTenant returns the
// error, the handler's 503 is the whole response (ErrorFunc does not answer
// it again), and no cookie is set, so the client keeps its session.
func TestSwitchTenantStoreFailure(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		a := newApp(t, failingRotation{st}, Config{})
		user := uuid.New()
		token := a.login(t, user)
		res := a.do(t, "POST", "/tenant/"+uuid.NewString(), token)
		if res.status != http.StatusServiceUnavailable || res.body != "unavailable\n" || res.cookie != nil {
			t.Errorf("switch tenant with the store failing: status %d, body %q, cookie %q; want a bare 503", res.status, res.body, res.raw)
		}
		if errs := a.errors(); len(errs) != 0 {
			t.Errorf("ErrorFunc got %v, want no call", errs)
		}
		if got := a.me(t, token).UserID; got != user {
			t.Errorf("session user after the failed switch = %s, want %s", got, user)
		}
	})
}
