package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// TestInternalErrorSaysNothing: a real 500, from a driver error deep in a
// request (the runtime role's queries find no tables: its search_path
// names a schema that does not exist), answers the generic problem and
// nothing of the error: no driver text, no SQL, no wrapping context. Both
// ways a 500 is written are covered: a handler's returned error (sign-up)
// and the session middleware's (a cookie the store cannot look up).
func TestInternalErrorSaysNothing(t *testing.T) {
	d := dbtest.New(t)
	cfg, err := pgxpool.ParseConfig(d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = "tk_no_such_schema"
	broken, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broken.Close)
	e := apptest.New(t, apptest.Options{Pool: broken})

	want := map[string]any{
		"type": "about:blank", "title": "Internal Server Error", "status": float64(500),
		"code": "internal_error", "detail": "Something went wrong on our side.",
	}
	// What the errors say (relation "users" does not exist (SQLSTATE
	// 42P01), wrapped in "sign up: insert user: …" or "session store: find
	// session: …"), in pieces none of which the generic body contains.
	leaks := []string{"relation", "does not exist", "SQLSTATE", "42P01", "ERROR", "sign up", "insert", "session store", "find session", "sessions", "tk_no_such_schema"}

	for _, tt := range []struct {
		name   string
		client *apptest.Client
		method string
		path   string
		body   any
	}{
		{"a handler's error", e.Client(), "POST", "/api/auth/signup", map[string]string{"email": "five-hundred@example.com", "password": apptest.Password, "name": "Five Hundred"}},
		{"the session middleware's error", e.Client().WithCookie(strings.Repeat("A", 43)), "GET", "/api/me", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.client.Do(tt.method, tt.path, tt.body)
			if r.Status != http.StatusInternalServerError {
				t.Fatalf("%s %s: %d %s, want 500", tt.method, tt.path, r.Status, r.Body)
			}
			got := r.JSON(t)
			if id, _ := got["request_id"].(string); id == "" || id != r.Header.Get("X-Request-Id") {
				t.Errorf("request_id = %v, want the response's X-Request-Id %q", got["request_id"], r.Header.Get("X-Request-Id"))
			}
			delete(got, "request_id")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("500 body (-want +got):\n%s", diff)
			}
			var leaked []string
			for _, leak := range leaks {
				if strings.Contains(string(r.Body), leak) {
					leaked = append(leaked, leak)
				}
			}
			if len(leaked) > 0 {
				t.Errorf("500 body %s gives away the error: %q", r.Body, leaked)
			}
		})
	}
}
