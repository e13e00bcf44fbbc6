package session

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestIdleTimeout(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		const idle = 30 * time.Minute
		tests := []struct {
			idleFor time.Duration
			alive   bool
		}{
			{idle - time.Second, true},
			{idle, false},
			{idle + time.Hour, false},
		}
		for _, tt := range tests {
			a := newApp(t, st, Config{IdleTimeout: idle, Lifetime: 24 * time.Hour})
			user := uuid.New()
			token := a.login(t, user)

			// The store's own expiry is the idle deadline, not the lifetime.
			recs, err := a.store.ListUser(t.Context(), user)
			if err != nil || len(recs) != 1 {
				t.Fatalf("ListUser = %d records, %v", len(recs), err)
			}
			if got, want := recs[0].ExpiresAt, a.clock.Now().Add(idle); !got.Equal(want) {
				t.Errorf("stored expiry = %v, want login + idle timeout = %v", got, want)
			}

			a.clock.Advance(tt.idleFor)
			res := a.do(t, "GET", "/me", token)
			if got := res.status == http.StatusOK; got != tt.alive {
				t.Errorf("idle for %v: status %d, want alive=%v", tt.idleFor, res.status, tt.alive)
			}
			if !tt.alive {
				if res.cookie == nil || res.cookie.MaxAge >= 0 {
					t.Errorf("idle for %v: cookie %q, want it cleared", tt.idleFor, res.raw)
				}
				a.wantNotStored(t, token)
			}
		}
	})
}

func TestAbsoluteLifetime(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		const idle, lifetime = 30 * time.Minute, 2 * time.Hour
		a := newApp(t, st, Config{IdleTimeout: idle, Lifetime: lifetime})
		user := uuid.New()
		token := a.login(t, user)
		start := a.clock.Now()

		// Active every 20 minutes, well within the idle timeout.
		for a.clock.Now().Add(20 * time.Minute).Before(start.Add(lifetime)) {
			a.clock.Advance(20 * time.Minute)
			a.me(t, token)
		}
		// The last touch (1h40m) gives an expiry capped at the lifetime.
		recs, err := a.store.ListUser(t.Context(), user)
		if err != nil || len(recs) != 1 {
			t.Fatalf("ListUser = %d records, %v", len(recs), err)
		}
		if got, want := recs[0].ExpiresAt, start.Add(lifetime); !got.Equal(want) {
			t.Errorf("stored expiry = %v, want login + lifetime = %v", got, want)
		}

		a.clock.Advance(start.Add(lifetime).Sub(a.clock.Now()))
		a.wantNoSession(t, token)
		a.wantNotStored(t, token)
	})
}

func TestLastSeenTouchThrottled(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		a := newApp(t, st, Config{TouchInterval: time.Minute})
		user := uuid.New()
		token := a.login(t, user)
		start := a.clock.Now()

		steps := []struct {
			at         time.Duration // since login
			path       string
			wantWrites int64
			wantSeen   time.Duration
		}{
			{30 * time.Second, "/me", 0, 0},
			{59 * time.Second, "/me?twice", 0, 0},
			{61 * time.Second, "/me?twice", 1, 61 * time.Second}, // one write even when asked twice
			{90 * time.Second, "/me", 0, 61 * time.Second},
			{122 * time.Second, "/me", 1, 122 * time.Second},
			{123 * time.Second, "/me", 0, 122 * time.Second},
		}
		for _, step := range steps {
			a.clock.Advance(start.Add(step.at).Sub(a.clock.Now()))
			a.store.reset()
			res := a.do(t, "GET", step.path, token)
			if res.status != http.StatusOK {
				t.Fatalf("+%v: status %d", step.at, res.status)
			}
			if res.cookie != nil {
				t.Errorf("+%v: the cookie was rewritten: %q", step.at, res.raw)
			}
			if r, w := a.store.reads.Load(), a.store.writes.Load(); r != 1 || w != step.wantWrites {
				t.Errorf("+%v: %d store reads, %d writes; want 1, %d", step.at, r, w, step.wantWrites)
			}
			list, err := a.m.List(t.Context(), user)
			if err != nil || len(list) != 1 {
				t.Fatalf("List = %v, %v", list, err)
			}
			if got, want := list[0].LastSeenAt, start.Add(step.wantSeen); !got.Equal(want) {
				t.Errorf("+%v: stored LastSeenAt = +%v, want +%v", step.at, got.Sub(start), step.wantSeen)
			}
		}
	})
}

func TestRevokedDuringRequest(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		a := newApp(t, st, Config{TouchInterval: time.Minute})
		user := uuid.New()
		token := a.login(t, user)
		a.clock.Advance(2 * time.Minute) // a touch is due

		// The session is loaded, then revoked before the request's touch:
		// the touch must notice, not bring the session back.
		res := a.do(t, "POST", "/revoke-all-then-me/"+user.String(), token)
		if res.status != http.StatusUnauthorized {
			t.Errorf("status %d, body %q; want 401", res.status, res.body)
		}
		a.wantNotStored(t, token)
		a.wantNoSession(t, token)
	})
}
