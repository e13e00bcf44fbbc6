package app_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/apptest"
)

type securityEventsPage struct {
	Events []struct {
		Kind      string `json:"kind"`
		IP        string `json:"ip"`
		UserAgent string `json:"user_agent"`
		RequestID string `json:"request_id"`
	} `json:"events"`
	NextCursor string `json:"next_cursor"`
}

func kindsOf(t *testing.T, c *apptest.Client, path string) ([]string, securityEventsPage) {
	t.Helper()
	var page securityEventsPage
	c.Must(http.StatusOK, "GET", path, nil).Decode(t, &page)
	var kinds []string
	for _, e := range page.Events {
		kinds = append(kinds, e.Kind)
	}
	return kinds, page
}

func TestSecurityEvents(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	u := e.Signup("Sec")
	other := e.Signup("Other")

	// A wrong password (written in the background), a sign-in elsewhere,
	// a revocation of the others, a password change, a sign-out.
	if r := e.Client().Do("POST", "/api/auth/login", map[string]string{"email": u.Email, "password": "not the password"}); r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.Status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if kinds, _ := kindsOf(t, u.Client, "/api/me/security-events"); slices.Contains(kinds, "login_failed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the failed login never reached the security log")
		}
		time.Sleep(20 * time.Millisecond)
	}
	second := e.Client()
	second.Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": apptest.Password})
	u.Must(http.StatusNoContent, "POST", "/api/me/sessions/revoke-others", nil)
	u.Must(http.StatusNoContent, "POST", "/api/me/password", map[string]string{"new_password": "a changed passphrase"})

	kinds, page := kindsOf(t, u.Client, "/api/me/security-events")
	want := []string{"password_changed", "other_sessions_revoked", "login", "login_failed"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("events = %q, want %q (newest first)", kinds, want)
	}
	if ev := page.Events[2]; ev.IP == "" || ev.UserAgent == "" || ev.RequestID == "" {
		t.Errorf("the login event lacks its origin: %+v", ev)
	}

	// A page at a time.
	first, p1 := kindsOf(t, u.Client, "/api/me/security-events?limit=3")
	rest, p2 := kindsOf(t, u.Client, "/api/me/security-events?limit=3&cursor="+p1.NextCursor)
	if got := slices.Concat(first, rest); !slices.Equal(got, want) || p2.NextCursor != "" {
		t.Errorf("paged: %q then %q (next %q), want %q", first, rest, p2.NextCursor, want)
	}

	// Only one's own.
	if kinds, _ := kindsOf(t, other.Client, "/api/me/security-events"); len(kinds) != 0 {
		t.Errorf("another user sees %q", kinds)
	}
	u.Must(http.StatusNoContent, "POST", "/api/auth/logout", nil)
	if r := e.Client().Do("GET", "/api/me/security-events", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("without a session: %d", r.Status)
	}
}
