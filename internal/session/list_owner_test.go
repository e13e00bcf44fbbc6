package session

import (
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestListChecksTheRecordsOwner: the per-user index is not trusted alone.
// A record of user B that the store returns for user A (an index entry
// pointing at B's session: a stale or tampered Redis set, a row whose
// user_id column disagrees with its data) is not listed as A's, and A can
// neither revoke it by id nor end it with "revoke others".
func TestListChecksTheRecordsOwner(t *testing.T) {
	for _, impl := range storeImpls {
		t.Run(impl.name, func(t *testing.T) {
			h := impl.harness(t)
			a := newApp(t, h.store, Config{})
			ctx := t.Context()
			userA, userB := uuid.New(), uuid.New()
			tokA, tokB := a.login(t, userA), a.login(t, userB)
			sA, sB := a.me(t, tokA), a.me(t, tokB)

			// B's record, as stored, copied under a new hash into A's index.
			data, found, err := h.store.FindCtx(ctx, tokB)
			if err != nil || !found {
				t.Fatalf("FindCtx(B's token) = found %v, err %v", found, err)
			}
			h.put(t, TokenHash(sha256.Sum256([]byte(newToken()))), userA, data, time.Now().Add(time.Hour))
			recs, err := h.store.ListUser(ctx, userA)
			if err != nil || len(recs) != 2 {
				t.Fatalf("store: ListUser(A) = %d records, %v; want A's own and the planted one", len(recs), err)
			}

			list, err := a.m.List(ctx, userA)
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(list, func(s Session) bool { return s.UserID != userA || s.ID == sB.ID }) {
				t.Errorf("List(A) = %+v: it holds user B's session", list)
			}
			if len(list) != 1 || list[0].ID != sA.ID {
				t.Errorf("List(A) = %+v, want A's own session alone", list)
			}

			if err := a.m.Revoke(ctx, userA, sB.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("Revoke(A, B's session id) = %v, want ErrNotFound", err)
			}
			if err := a.m.RevokeOthers(ctx, userA, sA.ID); err != nil {
				t.Fatal(err)
			}
			a.me(t, tokA)
			if got := a.me(t, tokB); got.ID != sB.ID {
				t.Errorf("B's session after A's revocations = %+v, want %+v", got, sB)
			}
		})
	}
}
