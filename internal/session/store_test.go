package session

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
)

func TestStoreConformance(t *testing.T) {
	for _, impl := range storeImpls {
		t.Run(impl.name, func(t *testing.T) {
			runStoreConformance(t, impl.harness)
			t.Run("tokens", func(t *testing.T) { runTokenConformance(t, impl.harness) })
		})
	}
}

// runStoreConformance is the behaviour every Store must have.
func runStoreConformance(t *testing.T, newHarness func(t *testing.T) storeHarness) {
	later := func() time.Time { return time.Now().Add(time.Hour) }
	newSession := func(userID uuid.UUID) Session {
		now := time.Now().UTC()
		return Session{ID: uuid.New(), UserID: userID, CreatedAt: now, LastSeenAt: now, IP: "192.0.2.1", UserAgent: "test"}
	}
	commit := func(t *testing.T, st Store, token string, s Session, expiry time.Time) []byte {
		t.Helper()
		b := encode(t, s, expiry)
		if err := st.CommitCtx(t.Context(), token, b, expiry); err != nil {
			t.Fatalf("CommitCtx: %v", err)
		}
		return b
	}
	find := func(t *testing.T, st Store, token string) ([]byte, bool) {
		t.Helper()
		b, found, err := st.FindCtx(t.Context(), token)
		if err != nil {
			t.Fatalf("FindCtx: %v", err)
		}
		return b, found
	}
	hashes := func(t *testing.T, st Store, userID uuid.UUID) []TokenHash {
		t.Helper()
		recs, err := st.ListUser(t.Context(), userID)
		if err != nil {
			t.Fatalf("ListUser: %v", err)
		}
		hs := make([]TokenHash, len(recs))
		for i, r := range recs {
			hs[i] = r.Hash
		}
		slices.SortFunc(hs, func(a, b TokenHash) int { return bytes.Compare(a[:], b[:]) })
		return hs
	}
	sorted := func(hs ...TokenHash) []TokenHash {
		slices.SortFunc(hs, func(a, b TokenHash) int { return bytes.Compare(a[:], b[:]) })
		return hs
	}
	hashOf := func(token string) TokenHash { return sha256.Sum256([]byte(token)) }

	t.Run("commit find delete", func(t *testing.T) {
		h := newHarness(t)
		token := newToken()
		want := commit(t, h.store, token, newSession(uuid.New()), later())
		got, found := find(t, h.store, token)
		if !found {
			t.Fatal("FindCtx after CommitCtx: not found")
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("FindCtx data (-got +want):\n%s", diff)
		}

		want = commit(t, h.store, token, newSession(uuid.New()), later())
		if got, _ := find(t, h.store, token); !bytes.Equal(got, want) {
			t.Errorf("FindCtx after a second CommitCtx = %q, want the new data %q", got, want)
		}

		for range 2 { // deleting what is gone is no error
			if err := h.store.DeleteCtx(t.Context(), token); err != nil {
				t.Fatalf("DeleteCtx: %v", err)
			}
			if _, found := find(t, h.store, token); found {
				t.Error("FindCtx after DeleteCtx: found")
			}
		}
	})

	t.Run("unknown and malformed tokens", func(t *testing.T) {
		h := newHarness(t)
		valid := newToken()
		commit(t, h.store, valid, newSession(uuid.New()), later())
		for _, token := range []string{
			"", "x", newToken(), valid[:42], valid + "A", strings.Repeat("*", len(valid)),
			strings.ToUpper(valid[:1]) + "%" + valid[2:],
			base64.RawURLEncoding.EncodeToString(func() []byte { h := hashOf(valid); return h[:] }()), // its hash is not the token
		} {
			if _, found := find(t, h.store, token); found {
				t.Errorf("FindCtx(%q): found", token)
			}
			if err := h.store.DeleteCtx(t.Context(), token); err != nil {
				t.Errorf("DeleteCtx(%q): %v", token, err)
			}
		}
		if _, found := find(t, h.store, valid); !found {
			t.Error("the real session was lost")
		}
		if err := h.store.CommitCtx(t.Context(), "chosen-by-client", encode(t, newSession(uuid.New()), later()), later()); err == nil {
			t.Error("CommitCtx of a malformed token: no error")
		}
	})

	t.Run("token hashed at rest", func(t *testing.T) {
		h := newHarness(t)
		token := newToken()
		commit(t, h.store, token, newSession(uuid.New()), later())
		raw, _ := base64.RawURLEncoding.DecodeString(token)
		for k, v := range h.raw(t) {
			for _, needle := range [][]byte{[]byte(token), raw, []byte(hex.EncodeToString(raw))} {
				if bytes.Contains([]byte(k), needle) || bytes.Contains(v, needle) {
					t.Fatalf("storage holds the raw token under key %q", k)
				}
			}
		}
		if !h.stored(t, hashOf(token)) {
			t.Error("no record under SHA-256(token)")
		}
	})

	t.Run("expiry", func(t *testing.T) {
		t.Parallel() // it waits out an expiry; so may "cleanup removes expired records", meanwhile
		h := newHarness(t)
		user := uuid.New()
		past, live, soon := newToken(), newToken(), newToken()

		// An expiry that has passed: the session is dead on arrival, and a
		// touch does not revive it (in Postgres its row is stored).
		commit(t, h.store, past, newSession(user), time.Now().Add(-time.Second))
		commit(t, h.store, live, newSession(user), later())
		if _, found := find(t, h.store, past); found {
			t.Error("a session committed with a past expiry was found")
		}
		if _, found := find(t, h.store, live); !found {
			t.Error("a live session was not found")
		}
		if diff := cmp.Diff(hashes(t, h.store, user), sorted(hashOf(live))); diff != "" {
			t.Errorf("ListUser (-got +want):\n%s", diff)
		}
		if found, err := h.store.TouchCtx(t.Context(), past, encode(t, newSession(user), later()), later()); err != nil || found {
			t.Errorf("TouchCtx of a session committed with a past expiry = %v, %v; want false, nil", found, err)
		}

		// A session live when committed ends once its expiry passes, with
		// no further write: the store enforces it by itself.
		expiry := time.Now().Add(shortTTL)
		commit(t, h.store, soon, newSession(user), expiry)
		_, found := find(t, h.store, soon)
		listed := hashes(t, h.store, user)
		if certainlyLive(t, expiry) {
			if !found {
				t.Error("a session not yet expired was not found")
			}
			if diff := cmp.Diff(listed, sorted(hashOf(live), hashOf(soon))); diff != "" {
				t.Errorf("ListUser before the expiry (-got +want):\n%s", diff)
			}
		}
		if !afterExpiry(expiry, func() bool { _, found := find(t, h.store, soon); return !found }) {
			t.Fatalf("a session was still found %v after its expiry", waitBound)
		}
		if diff := cmp.Diff(hashes(t, h.store, user), sorted(hashOf(live))); diff != "" {
			t.Errorf("ListUser after the expiry (-got +want):\n%s", diff)
		}
		if found, err := h.store.TouchCtx(t.Context(), soon, encode(t, newSession(user), later()), later()); err != nil || found {
			t.Errorf("TouchCtx of an expired session = %v, %v; want false, nil", found, err)
		}
		if _, found := find(t, h.store, soon); found {
			t.Error("TouchCtx revived an expired session")
		}
		if _, found := find(t, h.store, live); !found {
			t.Error("the live session was lost")
		}
	})

	t.Run("cleanup removes expired records", func(t *testing.T) {
		t.Parallel() // it waits out an expiry; so may "expiry", meanwhile
		h := newHarness(t)
		user := uuid.New()
		tokens := []string{newToken(), newToken()}
		expiry := time.Now().Add(shortTTL)
		for _, token := range tokens {
			commit(t, h.store, token, newSession(user), expiry)
		}
		// What is left after the expiry: records, index entries.
		left := func() (stored, indexed int) {
			for _, token := range tokens {
				if h.stored(t, hashOf(token)) {
					stored++
				}
			}
			return stored, h.indexed(t, user)
		}
		// So that the test cannot pass by storing nothing.
		if stored, indexed := left(); certainlyLive(t, expiry) && (stored != len(tokens) || indexed != len(tokens)) {
			t.Fatalf("before the expiry: %d records stored, %d indexed; want %d each", stored, indexed, len(tokens))
		}
		var stored, indexed int
		if !afterExpiry(expiry, func() bool {
			h.expire(t)
			stored, indexed = left()
			return stored == 0 && indexed == 0
		}) {
			t.Errorf("%v after their expiry, %d expired records are still stored and the user's index still holds %d entries",
				waitBound, stored, indexed)
		}
	})

	t.Run("touch", func(t *testing.T) {
		h := newHarness(t)
		user := uuid.New()
		token := newToken()
		commit(t, h.store, token, newSession(user), later())
		s := newSession(user)
		s.LastSeenAt = s.LastSeenAt.Add(time.Minute)
		want := encode(t, s, later())
		found, err := h.store.TouchCtx(t.Context(), token, want, later())
		if err != nil || !found {
			t.Fatalf("TouchCtx = %v, %v; want true, nil", found, err)
		}
		if got, _ := find(t, h.store, token); !bytes.Equal(got, want) {
			t.Errorf("FindCtx after TouchCtx = %q, want %q", got, want)
		}

		// A touch never creates a session: not an unknown one, not a
		// deleted one (a touch racing a revocation).
		if err := h.store.DeleteCtx(t.Context(), token); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{token, newToken(), "malformed"} {
			found, err := h.store.TouchCtx(t.Context(), tok, want, later())
			if err != nil || found {
				t.Errorf("TouchCtx(missing) = %v, %v; want false, nil", found, err)
			}
			if _, found := find(t, h.store, tok); found {
				t.Error("TouchCtx created a session")
			}
		}
		if got := hashes(t, h.store, user); len(got) != 0 {
			t.Errorf("ListUser after touching a deleted session = %d sessions, want none", len(got))
		}
	})

	t.Run("rotate", func(t *testing.T) {
		h := newHarness(t)
		user := uuid.New()
		rotate := func(t *testing.T, from, to string, b []byte, expiry time.Time) bool {
			t.Helper()
			found, err := h.store.RotateCtx(t.Context(), from, to, b, expiry)
			if err != nil {
				t.Fatalf("RotateCtx: %v", err)
			}
			return found
		}
		wantGone := func(t *testing.T, tokens ...string) {
			t.Helper()
			for _, tok := range tokens {
				if _, found := find(t, h.store, tok); found {
					t.Errorf("FindCtx(%x): found", hashOf(tok).short())
				}
				if h.stored(t, hashOf(tok)) {
					t.Errorf("a record is stored under %x", hashOf(tok).short())
				}
			}
		}

		old, next := newToken(), newToken()
		s := newSession(user)
		commit(t, h.store, old, s, later())
		s.TenantID = uuid.New()
		want := encode(t, s, later())
		if !rotate(t, old, next, want, later()) {
			t.Fatal("RotateCtx of a live session: not found")
		}
		wantGone(t, old)
		if got, _ := find(t, h.store, next); !bytes.Equal(got, want) {
			t.Errorf("FindCtx after RotateCtx = %q, want %q", got, want)
		}
		if diff := cmp.Diff(hashes(t, h.store, user), sorted(hashOf(next))); diff != "" {
			t.Errorf("ListUser after RotateCtx (-got +want):\n%s", diff)
		}

		// A session that is gone stays gone: rotating it writes nothing.
		gone := func(end func(tok string)) string {
			tok := newToken()
			commit(t, h.store, tok, newSession(user), later())
			end(tok)
			return tok
		}
		for name, from := range map[string]string{
			"rotated away": old,
			"unknown":      newToken(),
			"malformed":    "chosen-by-client",
			"deleted": gone(func(tok string) {
				if err := h.store.DeleteCtx(t.Context(), tok); err != nil {
					t.Fatal(err)
				}
			}),
			"revoked": gone(func(tok string) {
				if ok, err := h.store.DeleteUserSession(t.Context(), user, hashOf(tok)); err != nil || !ok {
					t.Fatalf("DeleteUserSession = %v, %v", ok, err)
				}
			}),
			"expired": func() string {
				tok := newToken()
				commit(t, h.store, tok, newSession(user), time.Now().Add(-time.Second))
				return tok
			}(),
		} {
			to := newToken()
			if rotate(t, from, to, encode(t, newSession(user), later()), later()) {
				t.Errorf("%s: RotateCtx found a session", name)
			}
			wantGone(t, to)
		}

		// Revoking all of the user's sessions ends the rotated one; rotating
		// it afterwards brings nothing back.
		if err := h.store.DeleteUserSessions(t.Context(), user, TokenHash{}, uuid.Nil); err != nil {
			t.Fatal(err)
		}
		after := newToken()
		if rotate(t, next, after, want, later()) {
			t.Error("RotateCtx after DeleteUserSessions found the session")
		}
		wantGone(t, next, after)
		if got := hashes(t, h.store, user); len(got) != 0 {
			t.Errorf("ListUser after a failed rotation = %d sessions, want none", len(got))
		}

		// An expiry that has passed ends the session.
		live, late := newToken(), newToken()
		commit(t, h.store, live, newSession(user), later())
		if rotate(t, live, late, encode(t, newSession(user), later()), time.Now().Add(-time.Second)) {
			t.Error("RotateCtx with a past expiry: found")
		}
		wantGone(t, live, late)

		// The new token must be one scs could have issued.
		kept := newToken()
		commit(t, h.store, kept, newSession(user), later())
		if _, err := h.store.RotateCtx(t.Context(), kept, "chosen-by-client", want, later()); err == nil {
			t.Error("RotateCtx to a malformed token: no error")
		}
		if _, found := find(t, h.store, kept); !found {
			t.Error("a refused rotation lost the session")
		}
	})

	t.Run("list is per user", func(t *testing.T) {
		h := newHarness(t)
		userA, userB := uuid.New(), uuid.New()
		a1, a2, b1, anon := newToken(), newToken(), newToken(), newToken()
		wantData := map[TokenHash][]byte{
			hashOf(a1): commit(t, h.store, a1, newSession(userA), later()),
			hashOf(a2): commit(t, h.store, a2, newSession(userA), later().Add(time.Minute)),
			hashOf(b1): commit(t, h.store, b1, newSession(userB), later()),
		}
		commit(t, h.store, anon, Session{}, later()) // no user: in no index

		tests := []struct {
			user uuid.UUID
			want []TokenHash
		}{
			{userA, sorted(hashOf(a1), hashOf(a2))},
			{userB, sorted(hashOf(b1))},
			{uuid.New(), sorted()},
			{uuid.Nil, sorted()},
		}
		for _, tt := range tests {
			recs, err := h.store.ListUser(t.Context(), tt.user)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if !bytes.Equal(r.Data, wantData[r.Hash]) {
					t.Errorf("ListUser(%s): record %x has data %q, want %q", tt.user, r.Hash[:4], r.Data, wantData[r.Hash])
				}
				if r.ExpiresAt.Before(time.Now()) {
					t.Errorf("ListUser(%s): record expires at %v", tt.user, r.ExpiresAt)
				}
			}
			if diff := cmp.Diff(hashes(t, h.store, tt.user), tt.want, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ListUser(%s) (-got +want):\n%s", tt.user, diff)
			}
		}
		// Latest expiry first.
		recs, _ := h.store.ListUser(t.Context(), userA)
		if len(recs) == 2 && recs[0].Hash != hashOf(a2) {
			t.Error("ListUser is not ordered latest expiry first")
		}
		// A deleted session leaves the list.
		if err := h.store.DeleteCtx(t.Context(), a1); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(hashes(t, h.store, userA), sorted(hashOf(a2))); diff != "" {
			t.Errorf("ListUser after DeleteCtx (-got +want):\n%s", diff)
		}
	})

	t.Run("revoke one", func(t *testing.T) {
		h := newHarness(t)
		userA, userB := uuid.New(), uuid.New()
		a1, a2, b1 := newToken(), newToken(), newToken()
		for tok, u := range map[string]uuid.UUID{a1: userA, a2: userA, b1: userB} {
			commit(t, h.store, tok, newSession(u), later())
		}
		tests := []struct {
			name  string
			user  uuid.UUID
			token string
			want  bool
		}{
			{"own session", userA, a1, true},
			{"already revoked", userA, a1, false},
			{"another user's session", userA, b1, false},
			{"unknown", userA, newToken(), false},
		}
		for _, tt := range tests {
			got, err := h.store.DeleteUserSession(t.Context(), tt.user, hashOf(tt.token))
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got != tt.want {
				t.Errorf("%s: DeleteUserSession = %v, want %v", tt.name, got, tt.want)
			}
		}
		for tok, want := range map[string]bool{a1: false, a2: true, b1: true} {
			if _, found := find(t, h.store, tok); found != want {
				t.Errorf("after revoking a1: found(%x) = %v, want %v", hashOf(tok).short(), found, want)
			}
		}
	})

	t.Run("revoke others and all", func(t *testing.T) {
		h := newHarness(t)
		userA, userB := uuid.New(), uuid.New()
		a1, a2, a3, b1 := newToken(), newToken(), newToken(), newToken()
		for tok, u := range map[string]uuid.UUID{a1: userA, a2: userA, a3: userA, b1: userB} {
			commit(t, h.store, tok, newSession(u), later())
		}
		if err := h.store.DeleteUserSessions(t.Context(), userA, hashOf(a2), uuid.Nil); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(hashes(t, h.store, userA), sorted(hashOf(a2))); diff != "" {
			t.Errorf("after revoking all but a2 (-got +want):\n%s", diff)
		}
		for tok, want := range map[string]bool{a1: false, a2: true, a3: false, b1: true} {
			if _, found := find(t, h.store, tok); found != want {
				t.Errorf("after revoking all but a2: found(%x) = %v, want %v", hashOf(tok).short(), found, want)
			}
		}

		if err := h.store.DeleteUserSessions(t.Context(), userA, TokenHash{}, uuid.Nil); err != nil {
			t.Fatal(err)
		}
		if _, found := find(t, h.store, a2); found {
			t.Error("after revoking all: a2 still found")
		}
		if got := hashes(t, h.store, userA); len(got) != 0 {
			t.Errorf("after revoking all: %d sessions listed", len(got))
		}
		if _, found := find(t, h.store, b1); !found {
			t.Error("revoking user A's sessions ended user B's")
		}
		if err := h.store.DeleteUserSessions(t.Context(), uuid.New(), TokenHash{}, uuid.Nil); err != nil {
			t.Errorf("revoking all of a user without sessions: %v", err)
		}
	})

	t.Run("ping", func(t *testing.T) {
		h := newHarness(t)
		if err := h.store.Ping(t.Context()); err != nil {
			t.Error(err)
		}
	})
}

func (h TokenHash) short() []byte { return h[:4] }
