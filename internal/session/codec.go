package session

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// recordKey is the one key the Manager uses in scs's value map; its value is
// a Session (or, after a failed Login or SwitchTenant, abandoned).
const recordKey = "session"

// codec is the scs.Codec of every Manager, and what the stores use to read
// the user id out of a record (scs.CtxStore.CommitCtx has no other way to
// say whose session it is). It encodes one Session as JSON and refuses any
// other value, so nothing but metadata can end up in a session.
type codec struct{}

const codecVersion = 1

type wireRecord struct {
	Version  int          `json:"v"`
	Deadline time.Time    `json:"deadline"`
	Session  *wireSession `json:"session,omitempty"`
}

// wireSession is Session with the field names a record uses (toWire,
// session convert).
type wireSession struct {
	ID         uuid.UUID `json:"id"`
	UserID     uuid.UUID `json:"uid"`
	TenantID   uuid.UUID `json:"tid,omitzero"`
	CreatedAt  time.Time `json:"created"`
	LastSeenAt time.Time `json:"seen"`
	IP         string    `json:"ip,omitempty"`
	UserAgent  string    `json:"ua,omitempty"`
}

// Encode implements scs.Codec.
func (codec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	w := wireRecord{Version: codecVersion, Deadline: deadline}
	for k, v := range values {
		if a, ok := v.(abandoned); ok {
			return nil, a
		}
		s, ok := v.(Session)
		if k != recordKey || !ok {
			return nil, fmt.Errorf("session: refusing to store value %q (%T): a session holds metadata only", k, v)
		}
		w.Session = toWire(s)
	}
	return json.Marshal(w)
}

// Decode implements scs.Codec.
// A record that does not decode, or whose session names no user, decodes
// as one without a session rather than as an error (which scs would answer
// with a 500): LoadAndSave logs it, deletes it and goes on anonymously.
func (codec) Decode(b []byte) (time.Time, map[string]any, error) {
	deadline, s, ok, err := decodeRecord(b)
	values := make(map[string]any, 1)
	if err == nil && ok && s.UserID != uuid.Nil {
		values[recordKey] = s
	}
	return deadline, values, nil
}

// decodeRecord returns the deadline and the Session in b, with ok false
// when b holds no Session (which the Manager never commits).
func decodeRecord(b []byte) (deadline time.Time, s Session, ok bool, err error) {
	var w wireRecord
	if err := json.Unmarshal(b, &w); err != nil {
		return time.Time{}, Session{}, false, fmt.Errorf("session: decode record: %w", err)
	}
	if w.Version != codecVersion {
		return time.Time{}, Session{}, false, fmt.Errorf("session: decode record: unknown version %d", w.Version)
	}
	if w.Session == nil {
		return w.Deadline, Session{}, false, nil
	}
	return w.Deadline, w.Session.session(), true, nil
}

// toWire is the record form of s; a cookie record never holds a token
// family (Session.Token).
func toWire(s Session) *wireSession {
	return &wireSession{
		ID: s.ID, UserID: s.UserID, TenantID: s.TenantID, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt,
		IP: s.IP, UserAgent: s.UserAgent,
	}
}

func (w *wireSession) session() Session {
	return Session{
		ID: w.ID, UserID: w.UserID, TenantID: w.TenantID, CreatedAt: w.CreatedAt, LastSeenAt: w.LastSeenAt,
		IP: w.IP, UserAgent: w.UserAgent,
	}
}

// userIDOf returns the user a stored record belongs to, or uuid.Nil.
func userIDOf(b []byte) (uuid.UUID, error) {
	_, s, _, err := decodeRecord(b)
	return s.UserID, err
}
