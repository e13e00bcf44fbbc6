package session

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func TestListAndRevoke(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		a := newApp(t, st, Config{})
		ctx := t.Context()
		userA, userB := uuid.New(), uuid.New()
		longUA := strings.Repeat("x", maxUserAgent-1) + "é and more"
		a1 := a.login(t, userA, func(r *http.Request) {
			r.RemoteAddr = "[2001:db8::1]:4711"
			r.Header.Set("User-Agent", longUA)
		})
		a.clock.Advance(time.Second)
		a2 := a.login(t, userA, func(r *http.Request) {
			r.RemoteAddr = "198.51.100.7:1234"
			r.Header.Set("User-Agent", "curl/8")
		})
		b1 := a.login(t, userB)
		sa1, sa2, sb1 := a.me(t, a1), a.me(t, a2), a.me(t, b1)

		if sa1.IP != "2001:db8::1" || sa1.UserAgent != strings.Repeat("x", maxUserAgent-1) {
			t.Errorf("session metadata: IP %q, user agent %q (%d bytes)", sa1.IP, sa1.UserAgent, len(sa1.UserAgent))
		}
		list := func(user uuid.UUID) []Session {
			t.Helper()
			l, err := a.m.List(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		if diff := cmp.Diff(list(userA), []Session{sa2, sa1}); diff != "" {
			t.Errorf("List(A) (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(list(userB), []Session{sb1}); diff != "" {
			t.Errorf("List(B) (-got +want):\n%s", diff)
		}
		if got := list(uuid.New()); len(got) != 0 {
			t.Errorf("List(stranger) = %v", got)
		}

		// On another user: A cannot revoke B's session, and learns nothing.
		if err := a.m.Revoke(ctx, userA, sb1.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Revoke(A, B's session) = %v, want ErrNotFound", err)
		}
		a.me(t, b1)

		if err := a.m.Revoke(ctx, userA, sa1.ID); err != nil {
			t.Fatalf("Revoke(A, a1): %v", err)
		}
		a.wantNoSession(t, a1)
		a.me(t, a2)
		if err := a.m.Revoke(ctx, userA, sa1.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Revoke of a revoked session = %v, want ErrNotFound", err)
		}

		a3 := a.login(t, userA)
		sa3 := a.me(t, a3)
		if err := a.m.RevokeOthers(ctx, userA, sa3.ID); err != nil {
			t.Fatal(err)
		}
		a.wantNoSession(t, a2)
		a.me(t, a3)
		if diff := cmp.Diff(list(userA), []Session{sa3}); diff != "" {
			t.Errorf("List(A) after RevokeOthers (-got +want):\n%s", diff)
		}

		if err := a.m.RevokeAll(ctx, userA); err != nil {
			t.Fatal(err)
		}
		a.wantNoSession(t, a3)
		if got := list(userA); len(got) != 0 {
			t.Errorf("List(A) after RevokeAll = %v", got)
		}
		if diff := cmp.Diff(list(userB), []Session{sb1}); diff != "" {
			t.Errorf("List(B) after revoking A's sessions (-got +want):\n%s", diff)
		}
		a.me(t, b1)
	})
}
