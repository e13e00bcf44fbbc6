package app_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/session"
)

// TestSessionTokenOnlyFromTheCookie: a session token is read from the
// session cookie and nowhere else. In a URL it would end up in logs,
// browser history and Referer headers, and a link could plant it (session
// fixation), so a valid token in a query parameter authenticates nobody,
// and next to a cookie it does not replace the cookie's session.
func TestSessionTokenOnlyFromTheCookie(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	victim := e.Signup("token-in-url")
	token := victim.SessionCookie()
	victim.Must(http.StatusOK, "GET", "/api/me", nil) // the token is live
	other := e.Signup("cookie-holder")

	params := []string{"session", "token", "access_token", "session_token", "sid", session.DefaultCookieName, "__Host-" + session.DefaultCookieName}
	for _, p := range params {
		q := "?" + url.Values{p: {token}}.Encode()
		for _, path := range []string{"/api/me", "/api/me/sessions"} {
			if r := e.Client().Do("GET", path+q, nil); r.Status != http.StatusUnauthorized || r.Code(t) != "unauthenticated" {
				t.Errorf("GET %s?%s=<valid token> without a cookie: %d %s, want 401 unauthenticated", path, p, r.Status, r.Body)
			}
		}
		// With the other user's cookie, the cookie decides.
		r := other.Must(http.StatusOK, "GET", "/api/me"+q, nil)
		if got := r.JSON(t)["user"].(map[string]any)["id"]; got != other.ID {
			t.Errorf("GET /api/me?%s=<victim's token> with another user's cookie acts as %v, want the cookie's user %v", p, got, other.ID)
		}
	}
	// A token in a form body (the other place a URL-ish token could hide).
	form := url.Values{"session": {token}, "token": {token}}.Encode()
	if r := e.Client().Do("GET", "/api/me", form, apptest.Header{Key: "Content-Type", Value: "application/x-www-form-urlencoded"}); r.Status != http.StatusUnauthorized {
		t.Errorf("GET /api/me with the token in a form body: %d, want 401", r.Status)
	}
}
