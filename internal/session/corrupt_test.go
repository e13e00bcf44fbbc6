package session

import (
	"bytes"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// A record that cannot be decoded (a corrupt row, a codec version the
// server does not know) is no session: it is deleted, its cookie cleared and
// a warning logged, and the request goes on anonymously instead of failing
// with a 500 for as long as the cookie lives.
func TestUndecodableRecordIsNoSession(t *testing.T) {
	records := map[string][]byte{
		"not json":        []byte("\x00\xffgarbage"),
		"truncated":       []byte(`{"v":1,"deadline":"2030-01-01T00:00:00Z","session":{"id":`),
		"unknown version": []byte(`{"v":2,"deadline":"2030-01-01T00:00:00Z","session":{"uid":"` + uuid.NewString() + `"}}`),
		"wrong shape":     []byte(`{"v":1,"session":"x"}`),
		"no session":      []byte(`{"v":1,"deadline":"2030-01-01T00:00:00Z"}`),
	}
	for _, impl := range storeImpls {
		t.Run(impl.name, func(t *testing.T) {
			h := impl.harness(t)
			for name, data := range records {
				var logs bytes.Buffer
				a := newApp(t, h.store, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
				user := uuid.New()
				valid := a.me(t, a.login(t, user))
				token := newToken()
				hash := TokenHash(sha256.Sum256([]byte(token)))
				h.put(t, hash, user, data, time.Now().Add(time.Hour))

				res := a.do(t, "GET", "/me", token)
				if res.status != http.StatusUnauthorized {
					t.Errorf("%s: GET /me: status %d, body %q; want 401 (anonymous)", name, res.status, res.body)
				}
				if res.cookie == nil || res.cookie.Value != "" || res.cookie.MaxAge >= 0 {
					t.Errorf("%s: cookie %q, want it cleared", name, res.raw)
				}
				if errs := a.errors(); len(errs) != 0 {
					t.Errorf("%s: ErrorFunc got %v", name, errs)
				}
				if h.stored(t, hash) {
					t.Errorf("%s: the record is still stored", name)
				}
				if !strings.Contains(logs.String(), "level=WARN") {
					t.Errorf("%s: no warning logged; logs:\n%s", name, logs.String())
				}
				if strings.Contains(logs.String(), token) {
					t.Errorf("%s: the log holds the token", name)
				}

				// One bad record in the user's index does not break listing
				// or revoking their sessions.
				h.put(t, TokenHash(sha256.Sum256([]byte(newToken()))), user, data, time.Now().Add(time.Hour))
				list, err := a.m.List(t.Context(), user)
				if err != nil || len(list) != 1 || list[0] != valid {
					t.Errorf("%s: List = %v, %v; want the valid session alone", name, list, err)
				}
				if err := a.m.RevokeOthers(t.Context(), user, valid.ID); err != nil {
					t.Errorf("%s: RevokeOthers: %v", name, err)
				}

				// Logging in over the bad cookie works.
				res = a.do(t, "POST", "/login/"+user.String(), token)
				if res.status != http.StatusOK || res.cookie == nil || res.cookie.Value == "" || res.cookie.Value == token {
					t.Errorf("%s: login over the bad cookie: status %d, cookie %q", name, res.status, res.raw)
				}
			}
		})
	}
}
