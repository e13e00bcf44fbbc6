package app_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/mailtest"
)

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// signInTokens signs u in with the password grant (and the tenant, if not
// "") and returns the pair.
func signInTokens(t testing.TB, e *apptest.Env, u apptest.User, tenant string) tokenPair {
	t.Helper()
	body := map[string]string{"grant_type": "password", "email": u.Email, "password": apptest.Password}
	if tenant != "" {
		body["tenant"] = tenant
	}
	var p tokenPair
	e.Client().Must(http.StatusOK, "POST", "/api/auth/token", body).Decode(t, &p)
	if p.TokenType != "Bearer" || p.ExpiresIn <= 0 || p.ExpiresIn > 15*60 || p.AccessToken == "" || p.RefreshToken == "" {
		t.Fatalf("token response: %+v", p)
	}
	return p
}

func refresh(e *apptest.Env, token string) apptest.Response {
	return e.Client().Do("POST", "/api/auth/token", map[string]string{"grant_type": "refresh_token", "refresh_token": token})
}

// mustRefresh trades token for the next pair, or fails the test.
func mustRefresh(t *testing.T, e *apptest.Env, token string) tokenPair {
	t.Helper()
	r := refresh(e, token)
	if r.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	var p tokenPair
	r.Decode(t, &p)
	return p
}

func bearer(token string) apptest.Header {
	return apptest.Header{Key: "Authorization", Value: "Bearer " + token}
}

// TestBearerTokens (issue 11): a first-party client signs in with its
// password, acts with the access token, refreshes with rotation, and ends
// its sign-in; a reused refresh token ends the whole sign-in. Both stores.
func TestBearerTokens(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T, e *apptest.Env) {
		owner := e.Signup("owner")
		acme := owner.CreateTenant("Acme")
		c := e.Client() // no cookie: the token alone

		p := signInTokens(t, e, owner, acme.Slug)
		var me struct {
			User struct {
				ID string `json:"id"`
			} `json:"user"`
			Tenant *struct {
				ID string `json:"id"`
			} `json:"tenant"`
		}
		c.Must(http.StatusOK, "GET", "/api/me", nil, bearer(p.AccessToken)).Decode(t, &me)
		if me.User.ID != owner.ID || me.Tenant == nil || me.Tenant.ID != acme.ID {
			t.Fatalf("GET /api/me with a token: %+v", me)
		}
		// The token's tenant is the request's, as a session's is.
		c.Must(http.StatusCreated, "POST", "/api/projects", map[string]string{"name": "by-token"}, bearer(p.AccessToken))
		c.Must(http.StatusOK, "GET", "/api/projects", nil, bearer(p.AccessToken))

		// The sign-in is listed beside the cookie session.
		var list struct {
			Sessions []struct {
				ID      string `json:"id"`
				Kind    string `json:"kind"`
				Current bool   `json:"current"`
			} `json:"sessions"`
		}
		c.Must(http.StatusOK, "GET", "/api/me/sessions", nil, bearer(p.AccessToken)).Decode(t, &list)
		kinds := map[string]int{}
		var familyID string
		for _, s := range list.Sessions {
			kinds[s.Kind]++
			if s.Current {
				familyID = s.ID
				if s.Kind != "token" {
					t.Errorf("the current session is a %s", s.Kind)
				}
			}
		}
		if kinds["cookie"] != 1 || kinds["token"] != 1 || familyID == "" {
			t.Errorf("sessions: %+v", list.Sessions)
		}

		t.Run("rotation and the grace window", func(t *testing.T) {
			next := mustRefresh(t, e, p.RefreshToken)
			if next.RefreshToken == "" || next.RefreshToken == p.RefreshToken || next.AccessToken == p.AccessToken {
				t.Fatalf("refresh: %+v", next)
			}
			// A retry at once (within the grace window) gets the same pair.
			retry := mustRefresh(t, e, p.RefreshToken)
			if retry.RefreshToken != next.RefreshToken || retry.AccessToken != next.AccessToken {
				t.Errorf("a retry got another pair")
			}
			c.Must(http.StatusOK, "GET", "/api/me", nil, bearer(next.AccessToken))
			p = next
		})

		t.Run("a rotation keeps the previous access token, not older ones", func(t *testing.T) {
			q := signInTokens(t, e, owner, "")
			second := mustRefresh(t, e, q.RefreshToken)
			third := mustRefresh(t, e, second.RefreshToken)
			if r := c.Do("GET", "/api/me", nil, bearer(q.AccessToken)); r.Status != http.StatusUnauthorized {
				t.Errorf("an access token two rotations old: %d", r.Status)
			}
			c.Must(http.StatusOK, "GET", "/api/me", nil, bearer(second.AccessToken))
			c.Must(http.StatusOK, "GET", "/api/me", nil, bearer(third.AccessToken))
		})

		t.Run("reuse ends the sign-in", func(t *testing.T) {
			q := signInTokens(t, e, owner, "")
			second := mustRefresh(t, e, q.RefreshToken)
			third := mustRefresh(t, e, second.RefreshToken)
			// q's token is two rotations old: reuse, whatever the window.
			r := refresh(e, q.RefreshToken)
			if r.Status != http.StatusUnauthorized || r.Code(t) != "token_reused" {
				t.Fatalf("reuse: %d %s", r.Status, r.Body)
			}
			// The revocation was committed although the request failed.
			if r := refresh(e, third.RefreshToken); r.Status != http.StatusUnauthorized || r.Code(t) != "invalid_token" {
				t.Errorf("the family's newest refresh token: %d %s", r.Status, r.Body)
			}
			if r := c.Do("GET", "/api/me", nil, bearer(third.AccessToken)); r.Status != http.StatusUnauthorized || r.Code(t) != "invalid_token" {
				t.Errorf("the family's access token: %d %s", r.Status, r.Body)
			}
			// The other sign-in is untouched.
			c.Must(http.StatusOK, "GET", "/api/me", nil, bearer(p.AccessToken))
		})

		t.Run("concurrent refreshes of one token", func(t *testing.T) {
			q := signInTokens(t, e, owner, "")
			const n = 10
			var (
				wg       sync.WaitGroup
				mu       sync.Mutex
				statuses = map[int]int{}
				pairs    = map[string]bool{}
			)
			for range n {
				wg.Go(func() {
					r := refresh(e, q.RefreshToken)
					mu.Lock()
					defer mu.Unlock()
					statuses[r.Status]++
					var got tokenPair
					if r.Status == http.StatusOK && json.Unmarshal(r.Body, &got) == nil {
						pairs[got.RefreshToken+" "+got.AccessToken] = true
					}
				})
			}
			wg.Wait()
			if statuses[http.StatusOK] == 0 || len(pairs) != 1 || statuses[http.StatusOK]+statuses[http.StatusUnauthorized] != n {
				t.Errorf("statuses %v, %d distinct pairs; want 200s with one pair (401s at most)", statuses, len(pairs))
			}
		})

		t.Run("revocation", func(t *testing.T) {
			q := signInTokens(t, e, owner, "")
			e.Client().Must(http.StatusOK, "POST", "/api/auth/revoke", map[string]string{"token": q.AccessToken})
			if r := c.Do("GET", "/api/me", nil, bearer(q.AccessToken)); r.Status != http.StatusUnauthorized {
				t.Errorf("a revoked access token: %d %s", r.Status, r.Body)
			}
			if r := refresh(e, q.RefreshToken); r.Status != http.StatusUnauthorized {
				t.Errorf("the revoked sign-in's refresh token: %d %s", r.Status, r.Body)
			}
			// RFC 7009: unknown and malformed tokens are no error.
			e.Client().Must(http.StatusOK, "POST", "/api/auth/revoke", map[string]string{"token": "tka_" + uuid.NewString()})
			e.Client().Must(http.StatusOK, "POST", "/api/auth/revoke", map[string]string{"token": q.RefreshToken, "token_type_hint": "refresh_token"})

			// Revoking the sign-in from the session list, with a cookie.
			q = signInTokens(t, e, owner, "")
			var mine struct {
				Sessions []struct {
					ID      string `json:"id"`
					Current bool   `json:"current"`
				} `json:"sessions"`
			}
			c.Must(http.StatusOK, "GET", "/api/me/sessions", nil, bearer(q.AccessToken)).Decode(t, &mine)
			for _, s := range mine.Sessions {
				if s.Current {
					owner.Must(http.StatusNoContent, "DELETE", "/api/me/sessions/"+s.ID, nil)
				}
			}
			if r := c.Do("GET", "/api/me", nil, bearer(q.AccessToken)); r.Status != http.StatusUnauthorized {
				t.Errorf("after DELETE /api/me/sessions/{id}: %d %s", r.Status, r.Body)
			}
		})

		t.Run("refusals", func(t *testing.T) {
			// A cookie and a token together.
			r := owner.Do("GET", "/api/me", nil, bearer(p.AccessToken))
			if r.Status != http.StatusBadRequest || r.Code(t) != "ambiguous_credentials" {
				t.Errorf("cookie and token: %d %s", r.Status, r.Body)
			}
			for _, tok := range []string{"", "x", p.RefreshToken, "tka_" + uuid.NewString()} {
				if r := c.Do("GET", "/api/me", nil, bearer(tok)); r.Status != http.StatusUnauthorized || r.Code(t) != "invalid_token" {
					t.Errorf("Bearer %q: %d %s", tok, r.Status, r.Body)
				}
			}
			expectCode(t, e.Client(), 401, "invalid_credentials", "POST", "/api/auth/token",
				map[string]string{"grant_type": "password", "email": owner.Email, "password": "wrong password"})
			expectCode(t, e.Client(), 400, "unsupported_grant_type", "POST", "/api/auth/token", map[string]string{"grant_type": "client_credentials"})
			expectCode(t, e.Client(), 400, "invalid_request", "POST", "/api/auth/token",
				map[string]string{"grant_type": "refresh_token", "refresh_token": p.RefreshToken, "password": "x"})
			expectCode(t, e.Client(), 401, "invalid_token", "POST", "/api/auth/token", map[string]string{"grant_type": "refresh_token", "refresh_token": p.AccessToken})
			other := e.Signup("other")
			globex := other.CreateTenant("Globex")
			expectCode(t, e.Client(), 404, "tenant_not_found", "POST", "/api/auth/token",
				map[string]string{"grant_type": "password", "email": owner.Email, "password": apptest.Password, "tenant": globex.Slug})
			// A token sign-in's tenant is not the session's to switch.
			expectCode(t, c, 400, "invalid_request", "PUT", "/api/me/tenant", map[string]string{"tenant": acme.Slug}, bearer(p.AccessToken))
			// Another tenant by header: 404, as for a cookie.
			expectCode(t, c, 404, "tenant_not_found", "GET", "/api/projects", nil, bearer(p.AccessToken), apptest.InTenant(globex))
		})

		t.Run("a password change ends every other sign-in", func(t *testing.T) {
			u := e.Signup("changer")
			q := signInTokens(t, e, u, "")
			u.Must(http.StatusNoContent, "POST", "/api/me/password",
				map[string]string{"current_password": apptest.Password, "new_password": "another long passphrase"})
			if r := c.Do("GET", "/api/me", nil, bearer(q.AccessToken)); r.Status != http.StatusUnauthorized {
				t.Errorf("an access token after a password change: %d %s", r.Status, r.Body)
			}
			if r := refresh(e, q.RefreshToken); r.Status != http.StatusUnauthorized {
				t.Errorf("a refresh token after a password change: %d %s", r.Status, r.Body)
			}
			u.Must(http.StatusOK, "GET", "/api/me", nil) // the changing session stays
		})

		t.Run("sensitive changes and sign-out with a token", func(t *testing.T) {
			u := e.Signup("mobile")
			q := signInTokens(t, e, u, "")
			// A token says nothing about how recent the sign-in was: the
			// password is always asked for.
			expectCode(t, c, 403, "reauth_required", "POST", "/api/me/password",
				map[string]string{"new_password": "a newer long passphrase"}, bearer(q.AccessToken))
			c.Must(http.StatusNoContent, "POST", "/api/me/password",
				map[string]string{"current_password": apptest.Password, "new_password": "a newer long passphrase"}, bearer(q.AccessToken))
			// Its own sign-in stays; the user's cookie session ended.
			c.Must(http.StatusOK, "GET", "/api/me", nil, bearer(q.AccessToken))
			if r := u.Do("GET", "/api/me", nil); r.Status != http.StatusUnauthorized {
				t.Errorf("the cookie session after a password change by token: %d", r.Status)
			}
			// Signing out with the token ends its sign-in.
			c.Must(http.StatusNoContent, "POST", "/api/auth/logout", nil, bearer(q.AccessToken))
			if r := c.Do("GET", "/api/me", nil, bearer(q.AccessToken)); r.Status != http.StatusUnauthorized {
				t.Errorf("the access token after sign-out: %d %s", r.Status, r.Body)
			}
			if r := refresh(e, q.RefreshToken); r.Status != http.StatusUnauthorized {
				t.Errorf("the refresh token after sign-out: %d %s", r.Status, r.Body)
			}
		})

		t.Run("at most 50 sign-ins a user", func(t *testing.T) {
			u := e.Signup("busy")
			first := signInTokens(t, e, u, "")
			for range 50 {
				signInTokens(t, e, u, "")
			}
			// The oldest ended; 50 remain.
			if r := c.Do("GET", "/api/me", nil, bearer(first.AccessToken)); r.Status != http.StatusUnauthorized {
				t.Errorf("the oldest sign-in past the cap: %d", r.Status)
			}
			var list struct {
				Sessions []struct {
					Kind string `json:"kind"`
				} `json:"sessions"`
			}
			u.Must(http.StatusOK, "GET", "/api/me/sessions", nil).Decode(t, &list)
			n := 0
			for _, s := range list.Sessions {
				if s.Kind == "token" {
					n++
				}
			}
			if n != 50 {
				t.Errorf("%d token sign-ins listed, want 50", n)
			}
		})

		t.Run("disabling the user ends every token", func(t *testing.T) {
			u := e.Signup("doomed")
			q := signInTokens(t, e, u, "")
			if err := e.App.Identity.DisableUser(t.Context(), uuid.MustParse(u.ID)); err != nil {
				t.Fatal(err)
			}
			if r := c.Do("GET", "/api/me", nil, bearer(q.AccessToken)); r.Status != http.StatusUnauthorized {
				t.Errorf("a disabled user's access token: %d %s", r.Status, r.Body)
			}
			if r := refresh(e, q.RefreshToken); r.Status != http.StatusUnauthorized {
				t.Errorf("a disabled user's refresh token: %d %s", r.Status, r.Body)
			}
		})
	})
}

// TestPasswordResetEndsTokens (issue 11): a password reset ends every
// token sign-in of the user, as it ends their sessions.
func TestPasswordResetEndsTokens(t *testing.T) {
	e := newMailEnv(t, nil)
	u := e.Signup("Reset")
	p := signInTokens(t, e, u, "")
	c := e.Client()
	c.Must(http.StatusOK, "GET", "/api/me", nil, bearer(p.AccessToken))

	e.Client().Must(http.StatusAccepted, "POST", "/api/auth/password-reset", map[string]string{"email": u.Email})
	m := mailWith(t, e, u.Email, 2, "/reset-password?token=") // the sign-up's verification, then the reset
	token := mailtest.Token(t, m, "reset-password")
	e.Client().Must(http.StatusNoContent, "POST", "/api/auth/password-reset/confirm", map[string]string{"token": token, "password": "a brand new passphrase"})

	if r := c.Do("GET", "/api/me", nil, bearer(p.AccessToken)); r.Status != http.StatusUnauthorized {
		t.Errorf("an access token after a reset: %d %s", r.Status, r.Body)
	}
	if r := refresh(e, p.RefreshToken); r.Status != http.StatusUnauthorized {
		t.Errorf("a refresh token after a reset: %d %s", r.Status, r.Body)
	}
}
