package identity

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// TestUserOfDisabledUserRunsOnDisable: User, finding a user disabled
// behind DisableUser's back (by SQL), runs Config.OnDisable (which revokes
// their sessions), every time; for an enabled user it runs nothing. A
// failing hook does not hide that the user is disabled.
func TestUserOfDisabledUserRunsOnDisable(t *testing.T) {
	var (
		mu      sync.Mutex
		calls   []uuid.UUID
		hookErr error
	)
	s, _ := newTestService(t, Config{OnDisable: func(_ context.Context, id uuid.UUID) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, id)
		return hookErr
	}})
	gotCalls := func() []uuid.UUID {
		mu.Lock()
		defer mu.Unlock()
		return append([]uuid.UUID(nil), calls...)
	}
	enabled, disabled := signUp(t, s), signUp(t, s)
	if _, err := appPool(t).Exec(t.Context(), "UPDATE users SET disabled_at = now() WHERE id = $1", disabled.ID); err != nil {
		t.Fatal(err)
	}

	if u, err := s.User(t.Context(), enabled.ID); err != nil || u.Disabled {
		t.Fatalf("User(enabled) = %+v, %v", u, err)
	}
	if got := gotCalls(); len(got) != 0 {
		t.Errorf("OnDisable calls after looking up an enabled user = %v, want none", got)
	}
	for range 2 {
		if u, err := s.User(t.Context(), disabled.ID); err != nil || !u.Disabled {
			t.Fatalf("User(disabled) = %+v, %v", u, err)
		}
	}
	if diff := cmp.Diff([]uuid.UUID{disabled.ID, disabled.ID}, gotCalls()); diff != "" {
		t.Errorf("OnDisable calls (-want +got):\n%s", diff)
	}

	mu.Lock()
	hookErr = errors.New("session store unreachable")
	mu.Unlock()
	if u, err := s.User(t.Context(), disabled.ID); err != nil || !u.Disabled {
		t.Errorf("User(disabled) with a failing hook = %+v, %v; want the disabled user", u, err)
	}
}
