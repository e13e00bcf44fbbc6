package session

import (
	"crypto/sha256"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// lookups records what a Manager reports to ObserveLookups.
type lookups struct {
	mu  sync.Mutex
	got []LookupResult
}

func (l *lookups) observe(r LookupResult) { l.mu.Lock(); l.got = append(l.got, r); l.mu.Unlock() }

// take returns the results reported since the last take.
func (l *lookups) take() []LookupResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	got := l.got
	l.got = nil
	return got
}

// TestObserveLookups: every request through LoadAndSave reports one
// result, however often its handler asks for the session.
func TestObserveLookups(t *testing.T) {
	for _, impl := range storeImpls {
		t.Run(impl.name, func(t *testing.T) {
			h := impl.harness(t)
			a := newApp(t, h.store, Config{TouchInterval: time.Minute, Logger: slog.New(slog.DiscardHandler)})
			var l lookups
			a.m.ObserveLookups(l.observe)

			check := func(what string, want ...LookupResult) {
				t.Helper()
				if diff := cmp.Diff(l.take(), want); diff != "" {
					t.Errorf("%s: lookups (-got +want):\n%s", what, diff)
				}
			}
			user := uuid.New()
			token := a.login(t, user)
			check("login without a cookie", LookupNone)

			a.do(t, "GET", "/me?twice", token)
			check("a live session, asked for twice", LookupFound)
			a.do(t, "GET", "/me", "")
			check("no cookie", LookupNone)
			a.do(t, "GET", "/me", newToken())
			check("a token the store does not hold", LookupUnknown)

			bad := newToken()
			h.put(t, TokenHash(sha256.Sum256([]byte(bad))), user, []byte("garbage"), time.Now().Add(time.Hour))
			a.do(t, "GET", "/me", bad)
			check("an undecodable record", LookupCorrupt)

			a.clock.Advance(2 * time.Minute) // a touch is due
			a.do(t, "POST", "/revoke-all-then-me/"+user.String(), token)
			check("revoked before the touch", LookupRevoked)

			// The store still holds the record (its expiry is real time);
			// the Manager's clock says it has been idle too long.
			token = a.login(t, user)
			l.take()
			a.clock.Advance(DefaultIdleTimeout + time.Minute)
			a.do(t, "GET", "/me", token)
			check("idle too long", LookupExpired)
		})
	}
	for name, st := range unreachableStores(t) {
		t.Run(name+"/unreachable", func(t *testing.T) {
			a := newApp(t, st, Config{})
			var l lookups
			a.m.ObserveLookups(l.observe)
			if res := a.do(t, "GET", "/me", newToken()); res.status != http.StatusServiceUnavailable {
				t.Errorf("GET /me: status %d, want 503", res.status)
			}
			if diff := cmp.Diff(l.take(), []LookupResult{LookupError}); diff != "" {
				t.Errorf("lookups (-got +want):\n%s", diff)
			}
		})
	}
}
