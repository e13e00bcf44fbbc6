package session

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// testTokenKey is the Config.TokenKey of the token tests.
var testTokenKey = bytes.Repeat([]byte("k"), MinTokenKeyBytes)

// tokenApp is a Manager with bearer tokens on one store, on a clock the
// test moves.
type tokenApp struct {
	m     *Manager
	h     storeHarness
	clock *clock
}

func newTokenApp(t *testing.T, h storeHarness) *tokenApp {
	a := &tokenApp{h: h, clock: &clock{now: time.Now().UTC().Truncate(time.Millisecond)}}
	a.m = NewManager(h.store, Config{TokenKey: testTokenKey, Logger: slog.New(slog.DiscardHandler)})
	a.m.now = a.clock.Now
	return a
}

func (a *tokenApp) issue(t *testing.T, user uuid.UUID) TokenPair {
	t.Helper()
	p, err := a.m.IssueTokens(t.Context(), user, TokenMeta{IP: "192.0.2.7:1234", UserAgent: "app/1.0"})
	if err != nil {
		t.Fatalf("IssueTokens: %v", err)
	}
	return p
}

func (a *tokenApp) refresh(t *testing.T, token string) TokenPair {
	t.Helper()
	p, err := a.m.Refresh(t.Context(), token)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	return p
}

func (a *tokenApp) wantRefreshErr(t *testing.T, token string, want error) {
	t.Helper()
	if p, err := a.m.Refresh(t.Context(), token); !errors.Is(err, want) {
		t.Errorf("Refresh = %+v, %v; want %v", p, err, want)
	}
}

// live reports whether access token works.
func (a *tokenApp) live(t *testing.T, access string) bool {
	t.Helper()
	_, err := a.m.LookupAccess(t.Context(), access)
	if err != nil && !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("LookupAccess: %v", err)
	}
	return err == nil
}

// families lists user's token families.
func (a *tokenApp) families(t *testing.T, user uuid.UUID) []Session {
	t.Helper()
	list, err := a.m.List(t.Context(), user)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var out []Session
	for _, s := range list {
		if s.Token {
			out = append(out, s)
		}
	}
	return out
}

// wantFamilyGone checks that nothing of the family of token is left,
// through the Manager and in storage.
func (a *tokenApp) wantFamilyGone(t *testing.T, user uuid.UUID, pairs ...TokenPair) {
	t.Helper()
	for _, p := range pairs {
		if a.live(t, p.AccessToken) {
			t.Errorf("access token %s… still works", p.AccessToken[:12])
		}
		if _, err := a.m.Refresh(t.Context(), p.RefreshToken); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("Refresh of a token of an ended family: %v, want ErrInvalidToken", err)
		}
		id, _, _ := parseBearer(p.AccessToken, AccessTokenPrefix)
		if n := a.h.familyRecords(t, id); n != 0 {
			t.Errorf("storage still holds %d records of the ended family", n)
		}
	}
	if fs := a.families(t, user); len(fs) != 0 {
		t.Errorf("List shows %d token families, want none", len(fs))
	}
}

// runTokenConformance is the bearer-token behaviour every Store must have.
func runTokenConformance(t *testing.T, newHarness func(t *testing.T) storeHarness) {
	t.Run("issue and look up", func(t *testing.T) {
		a := newTokenApp(t, newHarness(t))
		user, tenant := uuid.New(), uuid.New()
		p, err := a.m.IssueTokens(t.Context(), user, TokenMeta{TenantID: tenant, IP: "192.0.2.7:1234", UserAgent: "app/1.0"})
		if err != nil {
			t.Fatal(err)
		}
		for token, prefix := range map[string]string{p.AccessToken: "tka_", p.RefreshToken: "tkr_"} {
			if !strings.HasPrefix(token, prefix) || len(token) != 69 {
				t.Errorf("token %q: want %s and 69 characters", token, prefix)
			}
		}
		if p.ExpiresIn != DefaultAccessTokenLifetime {
			t.Errorf("ExpiresIn = %v, want %v", p.ExpiresIn, DefaultAccessTokenLifetime)
		}
		g, err := a.m.LookupAccess(t.Context(), p.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		fs := a.families(t, user)
		if len(fs) != 1 {
			t.Fatalf("List: %d token families, want 1", len(fs))
		}
		f := fs[0]
		if g.UserID != user || g.TenantID != tenant || g.FamilyID != f.ID {
			t.Errorf("LookupAccess = %+v; want user %s, tenant %s, family %s", g, user, tenant, f.ID)
		}
		if f.IP != "192.0.2.7" || f.UserAgent != "app/1.0" || f.TenantID != tenant || !f.CreatedAt.Equal(a.clock.Now()) {
			t.Errorf("listed family = %+v", f)
		}
		// Only a live access token of its own kind and family is one.
		forged := p.AccessToken[:4+22] + newToken()
		otherFamily := p.AccessToken[:4] + base64.RawURLEncoding.EncodeToString(func() []byte { id := uuid.New(); return id[:] }()) + p.AccessToken[4+22:]
		for _, bad := range []string{"", "tka_", p.RefreshToken, "tka_" + p.RefreshToken[4:], forged, otherFamily, p.AccessToken + "x", strings.ToUpper(p.AccessToken)} {
			if _, err := a.m.LookupAccess(t.Context(), bad); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("LookupAccess(%q) = %v, want ErrInvalidToken", bad, err)
			}
		}
		a.wantRefreshErr(t, p.AccessToken, ErrInvalidToken)
		a.clock.Advance(DefaultAccessTokenLifetime)
		if a.live(t, p.AccessToken) {
			t.Error("an access token works at its expiry")
		}
	})

	t.Run("rotate", func(t *testing.T) {
		a := newTokenApp(t, newHarness(t))
		user := uuid.New()
		p0 := a.issue(t, user)
		a.clock.Advance(time.Minute)
		p1 := a.refresh(t, p0.RefreshToken)
		if p1.RefreshToken == p0.RefreshToken || p1.AccessToken == p0.AccessToken || p1.ExpiresIn != DefaultAccessTokenLifetime {
			t.Fatalf("Refresh = %+v after %+v", p1, p0)
		}
		if !a.live(t, p1.AccessToken) {
			t.Error("the new access token does not work")
		}
		a.clock.Advance(time.Minute)
		p2 := a.refresh(t, p1.RefreshToken)
		if !a.live(t, p2.AccessToken) {
			t.Error("the second rotation's access token does not work")
		}
		fs := a.families(t, user)
		if len(fs) != 1 || !fs[0].LastSeenAt.Equal(a.clock.Now()) {
			t.Errorf("after two rotations List = %+v; want one family last seen now", fs)
		}
	})

	t.Run("grace retry returns the same pair", func(t *testing.T) {
		a := newTokenApp(t, newHarness(t))
		user := uuid.New()
		p0 := a.issue(t, user)
		p1 := a.refresh(t, p0.RefreshToken)
		a.clock.Advance(DefaultRefreshGrace - time.Second)
		retry := a.refresh(t, p0.RefreshToken)
		if retry.AccessToken != p1.AccessToken || retry.RefreshToken != p1.RefreshToken {
			t.Errorf("retry within the grace window = %+v, want the same pair as %+v", retry, p1)
		}
		if want := p1.ExpiresIn - (DefaultRefreshGrace - time.Second); retry.ExpiresIn != want {
			t.Errorf("retry's ExpiresIn = %v, want %v", retry.ExpiresIn, want)
		}
		if !a.live(t, p1.AccessToken) || len(a.families(t, user)) != 1 {
			t.Error("a retry ended the family")
		}
		p2 := a.refresh(t, p1.RefreshToken) // the successor is the live token
		if !a.live(t, p2.AccessToken) {
			t.Error("the successor's rotation does not work")
		}
	})

	t.Run("reuse ends the family", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			reuse func(a *tokenApp, p0, p1, p2 TokenPair) string
		}{
			{"previous token after the grace window", func(a *tokenApp, p0, p1, p2 TokenPair) string {
				a.clock.Advance(DefaultRefreshGrace)
				return p1.RefreshToken
			}},
			{"older token within the grace window", func(a *tokenApp, p0, p1, p2 TokenPair) string { return p0.RefreshToken }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				a := newTokenApp(t, newHarness(t))
				user := uuid.New()
				other := a.issue(t, user) // another sign-in of the same user
				p0 := a.issue(t, user)
				p1 := a.refresh(t, p0.RefreshToken)
				a.clock.Advance(time.Second)
				p2 := a.refresh(t, p1.RefreshToken)
				a.wantRefreshErr(t, tt.reuse(a, p0, p1, p2), ErrTokenReused)
				for _, p := range []TokenPair{p0, p1, p2} {
					if a.live(t, p.AccessToken) {
						t.Errorf("access token %s… works after reuse", p.AccessToken[:12])
					}
					a.wantRefreshErr(t, p.RefreshToken, ErrInvalidToken)
				}
				id, _, _ := parseBearer(p0.AccessToken, AccessTokenPrefix)
				if n := a.h.familyRecords(t, id); n != 0 {
					t.Errorf("storage holds %d records of the family after reuse", n)
				}
				if fs := a.families(t, user); len(fs) != 1 || !a.live(t, other.AccessToken) {
					t.Errorf("reuse in one family ended another: %d families listed", len(fs))
				}
			})
		}
	})

	t.Run("revoke", func(t *testing.T) {
		a := newTokenApp(t, newHarness(t))
		user := uuid.New()
		for name, pick := range map[string]func(p0, p1 TokenPair) string{
			"by access token":        func(_, p1 TokenPair) string { return p1.AccessToken },
			"by refresh token":       func(_, p1 TokenPair) string { return p1.RefreshToken },
			"by spent refresh token": func(p0, _ TokenPair) string { return p0.RefreshToken },
		} {
			p0 := a.issue(t, user)
			p1 := a.refresh(t, p0.RefreshToken)
			if err := a.m.RevokeToken(t.Context(), pick(p0, p1)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			a.wantFamilyGone(t, user, p0, p1)
		}
		// RFC 7009: no error for what is not a live token, and a token
		// the family did not issue revokes nothing, also when it names
		// the family.
		p := a.issue(t, user)
		for _, bad := range []string{"", "garbage", p.AccessToken[:4+22] + newToken(), p.RefreshToken[:4+22] + newToken(), "tka_" + p.RefreshToken[4:]} {
			if err := a.m.RevokeToken(t.Context(), bad); err != nil {
				t.Errorf("RevokeToken(%q): %v", bad, err)
			}
		}
		if !a.live(t, p.AccessToken) {
			t.Error("a token the family did not issue revoked it")
		}
		for range 2 {
			if err := a.m.RevokeToken(t.Context(), p.AccessToken); err != nil {
				t.Errorf("RevokeToken (again): %v", err)
			}
		}
		a.wantFamilyGone(t, user, p)
	})

	t.Run("revoke from the session list", func(t *testing.T) {
		h := newHarness(t)
		a := newTokenApp(t, h)
		userA, userB := uuid.New(), uuid.New()
		a1, a2, b1 := a.issue(t, userA), a.issue(t, userA), a.issue(t, userB)
		cookie := newToken()
		now := time.Now().UTC()
		exp := now.Add(time.Hour)
		if err := h.store.CommitCtx(t.Context(), cookie, encode(t, Session{ID: uuid.New(), UserID: userA, CreatedAt: now, LastSeenAt: now}, exp), exp); err != nil {
			t.Fatal(err)
		}
		familyOf := func(p TokenPair) uuid.UUID { id, _, _ := parseBearer(p.AccessToken, AccessTokenPrefix); return id }

		if err := a.m.Revoke(t.Context(), userB, familyOf(a1)); !errors.Is(err, ErrNotFound) {
			t.Errorf("revoking another user's family: %v, want ErrNotFound", err)
		}
		if err := a.m.Revoke(t.Context(), userA, familyOf(a1)); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		if a.live(t, a1.AccessToken) || !a.live(t, a2.AccessToken) {
			t.Error("Revoke did not end exactly the family named")
		}
		if err := a.m.Revoke(t.Context(), userA, familyOf(a1)); !errors.Is(err, ErrNotFound) {
			t.Errorf("revoking it again: %v, want ErrNotFound", err)
		}

		// RevokeOthers keeping a family: the cookie session ends.
		a3 := a.issue(t, userA)
		if err := a.m.RevokeOthers(t.Context(), userA, familyOf(a2)); err != nil {
			t.Fatal(err)
		}
		if !a.live(t, a2.AccessToken) || a.live(t, a3.AccessToken) {
			t.Error("RevokeOthers did not keep exactly the family kept")
		}
		if _, found, _ := h.store.FindCtx(t.Context(), cookie); found {
			t.Error("RevokeOthers kept a cookie session")
		}

		// RevokeAll (disable, password reset): every token ends, even
		// mid-rotation, and another user's do not.
		a4 := a.refresh(t, a2.RefreshToken)
		if err := a.m.RevokeAll(t.Context(), userA); err != nil {
			t.Fatal(err)
		}
		a.wantFamilyGone(t, userA, a2, a4)
		if !a.live(t, b1.AccessToken) {
			t.Error("RevokeAll of user A ended user B's tokens")
		}
	})

	t.Run("idle and absolute expiry", func(t *testing.T) {
		a := newTokenApp(t, newHarness(t))
		user := uuid.New()

		// Idle: refreshed just in time, the family lives on; not, it ends.
		p := a.issue(t, user)
		a.clock.Advance(DefaultTokenIdleTimeout - time.Second)
		p = a.refresh(t, p.RefreshToken)
		a.clock.Advance(DefaultTokenIdleTimeout)
		if fs := a.families(t, user); len(fs) != 0 {
			t.Errorf("List shows %d families past their idle timeout", len(fs))
		}
		a.wantRefreshErr(t, p.RefreshToken, ErrInvalidToken)

		// Absolute: refreshed every 6 days, it still ends 30 days after
		// sign-in, and its last access token does not outlive it.
		start := a.clock.Now()
		p = a.issue(t, user)
		for a.clock.Now().Add(6 * 24 * time.Hour).Before(start.Add(DefaultTokenLifetime)) {
			a.clock.Advance(6 * 24 * time.Hour)
			p = a.refresh(t, p.RefreshToken)
		}
		a.clock.Advance(start.Add(DefaultTokenLifetime - 5*time.Minute).Sub(a.clock.Now()))
		p = a.refresh(t, p.RefreshToken)
		if p.ExpiresIn != 5*time.Minute {
			t.Errorf("ExpiresIn 5 minutes before the family's lifetime ends = %v", p.ExpiresIn)
		}
		a.clock.Advance(5 * time.Minute)
		if a.live(t, p.AccessToken) {
			t.Error("an access token outlived its family's lifetime")
		}
		a.wantRefreshErr(t, p.RefreshToken, ErrInvalidToken)
		if fs := a.families(t, user); len(fs) != 0 {
			t.Errorf("List shows %d families past their lifetime", len(fs))
		}
	})

	t.Run("concurrent refreshes of one token", func(t *testing.T) {
		a := newTokenApp(t, newHarness(t))
		user := uuid.New()
		p0 := a.issue(t, user)
		const n = 20
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			pairs = map[TokenPair]int{}
			errs  []error
		)
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				p, err := a.m.Refresh(t.Context(), p0.RefreshToken)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				p.ExpiresIn = 0 // the same pair, asked at (almost) the same time
				pairs[p]++
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if !errors.Is(err, ErrInvalidToken) {
				t.Errorf("concurrent Refresh: %v; want success or ErrInvalidToken", err)
			}
		}
		if len(pairs) != 1 {
			t.Fatalf("%d distinct successor pairs (%d errors), want exactly 1", len(pairs), len(errs))
		}
		t.Logf("%d of %d concurrent refreshes got the successor pair, %d ErrInvalidToken", n-len(errs), n, len(errs))
		if fs := a.families(t, user); len(fs) != 1 {
			t.Errorf("%d live families after concurrent refreshes, want 1", len(fs))
		}
		for p := range pairs {
			if !a.live(t, p.AccessToken) {
				t.Error("the successor's access token does not work")
			}
			a.refresh(t, p.RefreshToken) // and the successor is the current token
		}
	})

	t.Run("reuse racing a rotation", func(t *testing.T) {
		// A spent token and the current one, presented at once: whichever
		// runs first, the family ends, and no pair the rotation may have
		// returned works afterwards.
		a := newTokenApp(t, newHarness(t))
		user := uuid.New()
		for range 10 {
			p0 := a.issue(t, user)
			p1 := a.refresh(t, p0.RefreshToken)
			a.clock.Advance(DefaultRefreshGrace) // p0 is spent for good
			var (
				wg      sync.WaitGroup
				rotated TokenPair
				rotErr  error
				reuse   error
			)
			wg.Go(func() { rotated, rotErr = a.m.Refresh(t.Context(), p1.RefreshToken) })
			wg.Go(func() { _, reuse = a.m.Refresh(t.Context(), p0.RefreshToken) })
			wg.Wait()
			if rotErr != nil && !errors.Is(rotErr, ErrInvalidToken) {
				t.Errorf("the rotation: %v", rotErr)
			}
			if !errors.Is(reuse, ErrTokenReused) && !errors.Is(reuse, ErrInvalidToken) {
				t.Errorf("the reuse: %v, want ErrTokenReused (or ErrInvalidToken)", reuse)
			}
			if rotErr != nil && !errors.Is(reuse, ErrTokenReused) {
				t.Errorf("neither rotated nor detected reuse: %v, %v", rotErr, reuse)
			}
			gone := []TokenPair{p0, p1}
			if rotErr == nil {
				gone = append(gone, rotated)
			}
			a.wantFamilyGone(t, user, gone...)
		}
	})

	t.Run("tokens hashed at rest", func(t *testing.T) {
		a := newTokenApp(t, newHarness(t))
		p0 := a.issue(t, uuid.New())
		p1 := a.refresh(t, p0.RefreshToken)
		a.clock.Advance(time.Second)
		p2 := a.refresh(t, p1.RefreshToken)
		raw := a.h.raw(t)
		if len(raw) == 0 {
			t.Fatal("storage shows nothing")
		}
		for _, token := range []string{p0.AccessToken, p0.RefreshToken, p1.AccessToken, p1.RefreshToken, p2.AccessToken, p2.RefreshToken} {
			secret, err := base64.RawURLEncoding.DecodeString(token[4+22:])
			if err != nil {
				t.Fatal(err)
			}
			needles := [][]byte{[]byte(token), []byte(token[4:]), []byte(token[4+22:]), secret,
				[]byte(hex.EncodeToString(secret)), []byte(base64.StdEncoding.EncodeToString(secret))}
			for k, v := range raw {
				for _, needle := range needles {
					if bytes.Contains([]byte(k), needle) || bytes.Contains(v, needle) {
						t.Fatalf("storage holds token %s… (as %q) under %q", token[:8], needle, k)
					}
				}
			}
		}
	})

	t.Run("cleanup removes expired families", func(t *testing.T) {
		h := newHarness(t)
		now := time.Now().UTC()
		user := uuid.New()
		expired := Family{ID: uuid.New(), UserID: user, CreatedAt: now.Add(-2 * time.Hour), LastSeenAt: now.Add(-2 * time.Hour),
			IdleExpiresAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)}
		live := Family{ID: uuid.New(), UserID: user, CreatedAt: now, LastSeenAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)}
		for _, f := range []Family{expired, live} {
			if err := h.store.CreateFamily(t.Context(), f, hashOf(newToken()), hashOf(newToken()), f.IdleExpiresAt); err != nil {
				t.Fatal(err)
			}
		}
		if !eventually(func() bool { h.expire(t); return h.familyRecords(t, expired.ID) == 0 }) {
			t.Errorf("%v after its expiry, storage holds %d records of an expired family", waitBound, h.familyRecords(t, expired.ID))
		}
		if n := h.familyRecords(t, live.ID); n != 3 {
			t.Errorf("storage holds %d records of a live family, want 3 (family, refresh and access token)", n)
		}
	})
}
