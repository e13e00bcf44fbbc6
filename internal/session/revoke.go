package session

import (
	"cmp"
	"context"
	"slices"

	"github.com/google/uuid"
)

// listed is one of a user's live sessions with the hash it is stored under.
type listed struct {
	hash TokenHash
	sess Session
}

// userSessions returns userID's live sessions. It checks each record's user
// and deadline itself rather than trusting the index alone, and skips a
// record it cannot decode (which a request would discard; RevokeAll and
// RevokeOthers delete it with the rest).
func (m *Manager) userSessions(ctx context.Context, userID uuid.UUID) ([]listed, error) {
	if userID == uuid.Nil {
		return nil, nil
	}
	recs, err := m.store.ListUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := m.now()
	out := make([]listed, 0, len(recs))
	for _, r := range recs {
		_, s, ok, err := decodeRecord(r.Data)
		if err != nil {
			m.cfg.Logger.WarnContext(ctx, "session record cannot be decoded; not listing it", "user_id", userID, "err", err)
			continue
		}
		if !ok || s.UserID != userID || !m.alive(s, now) {
			continue
		}
		out = append(out, listed{hash: r.Hash, sess: s})
	}
	return out, nil
}

// List returns userID's live sessions, cookie sessions and token families
// (Session.Token) together, most recently used first.
func (m *Manager) List(ctx context.Context, userID uuid.UUID) ([]Session, error) {
	ls, err := m.userSessions(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Session, len(ls))
	for i, l := range ls {
		out[i] = l.sess
	}
	if userID != uuid.Nil {
		fs, err := m.userFamilies(ctx, userID)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	slices.SortFunc(out, func(a, b Session) int {
		if c := b.LastSeenAt.Compare(a.LastSeenAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	})
	return out, nil
}

// Revoke ends userID's session sessionID. ErrNotFound when userID has no
// such live session, so one user cannot probe another's session ids. To end
// the request's own session, use Logout, which also clears the cookie.
func (m *Manager) Revoke(ctx context.Context, userID, sessionID uuid.UUID) error {
	if userID == uuid.Nil {
		return ErrNotFound
	}
	// A token family keeps its id for life: one delete.
	revoked, err := m.store.DeleteUserFamily(ctx, userID, sessionID)
	if err != nil || revoked {
		return err
	}
	// A tenant switch may move the session to a new token between listing
	// and deleting it; then the delete misses, and listing again finds it
	// under the new token. A few rounds are plenty: each needs another
	// switch by the client in between.
	for range 3 {
		ls, err := m.userSessions(ctx, userID)
		if err != nil {
			return err
		}
		missed := false
		for _, l := range ls {
			if l.sess.ID != sessionID {
				continue
			}
			ok, err := m.store.DeleteUserSession(ctx, userID, l.hash)
			if err != nil {
				return err
			}
			revoked = revoked || ok
			missed = missed || !ok
		}
		if !missed {
			break
		}
	}
	if !revoked {
		return ErrNotFound
	}
	return nil
}

// RevokeOthers ends every session and token family of userID except keep
// (typically the caller's own, Session.ID, a cookie session's or a
// family's). If keep is not one of them, it ends them all.
func (m *Manager) RevokeOthers(ctx context.Context, userID, keep uuid.UUID) error {
	ls, err := m.userSessions(ctx, userID)
	if err != nil {
		return err
	}
	var keepHash TokenHash
	for _, l := range ls {
		if l.sess.ID == keep {
			keepHash = l.hash
		}
	}
	return m.store.DeleteUserSessions(ctx, userID, keepHash, keep) // keep is no family's id, or the family to keep
}

// RevokeAll ends every session and token family of userID, e.g. when the
// user is disabled or resets their password. It does not depend on
// listing, so it also ends sessions beyond List's bound.
func (m *Manager) RevokeAll(ctx context.Context, userID uuid.UUID) error {
	if userID == uuid.Nil {
		return nil
	}
	return m.store.DeleteUserSessions(ctx, userID, TokenHash{}, uuid.Nil)
}

// Ping reports whether the session store is reachable, for /readyz.
func (m *Manager) Ping(ctx context.Context) error {
	return m.store.Ping(ctx)
}
