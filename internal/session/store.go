package session

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Store keeps session records and bearer-token families. It is scs's context-aware store (the Ctx
// methods of scs.CtxStore; scs calls no others) plus the writes that never
// create a record and the per-user index scs lacks (scs's Iterate cannot
// work with hashed tokens).
//
// Every method that takes a token hashes it (hashToken) before it touches
// storage; a token that is not shaped like an scs token is "not found".
// Errors that mean the store is unreachable wrap ErrUnavailable.
//
// The stores learn whose session a record is by decoding the data with the
// package's codec (userIDOf); implementations live in this package and pass
// runStoreConformance.
type Store interface {
	// FindCtx returns the live record under token; found is false, and err
	// nil, for an unknown, expired or malformed token.
	FindCtx(ctx context.Context, token string) (b []byte, found bool, err error)
	// CommitCtx creates or overwrites the record under token.
	CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error
	// DeleteCtx deletes the record under token; deleting none is no error.
	DeleteCtx(ctx context.Context, token string) error

	// TouchCtx overwrites the data and expiry of a live session and
	// reports whether there was one. Unlike CommitCtx it never creates a
	// record, so a touch racing a revocation cannot bring a session back.
	TouchCtx(ctx context.Context, token string, b []byte, expiry time.Time) (found bool, err error)

	// RotateCtx moves the live session under oldToken to newToken with data
	// b and expiry, and reports whether there was one. When oldToken has no
	// live record (revoked, logged out, expired) it writes nothing, so a
	// token renewal racing a revocation cannot bring the session back. b
	// belongs to the same user as the old record. An expiry that has passed
	// ends the session: the old record is deleted and found is false.
	RotateCtx(ctx context.Context, oldToken, newToken string, b []byte, expiry time.Time) (found bool, err error)

	// ListUser returns the live sessions of userID, at most a few hundred,
	// latest expiry first.
	ListUser(ctx context.Context, userID uuid.UUID) ([]Record, error)

	// DeleteUserSession deletes the session with hash h if it belongs to
	// userID and reports whether it did.
	DeleteUserSession(ctx context.Context, userID uuid.UUID, h TokenHash) (bool, error)

	// DeleteUserSessions deletes every session of userID except the one
	// with hash keep (the zero TokenHash keeps none), and every token
	// family of userID, with its tokens, except the one with id
	// keepFamily (uuid.Nil keeps none). A RotateCtx of one of those
	// sessions running at the same time either finds nothing or has its
	// new record deleted too; a RefreshFamily of one of those families
	// either finds nothing or has its new tokens deleted too.
	DeleteUserSessions(ctx context.Context, userID uuid.UUID, keep TokenHash, keepFamily uuid.UUID) error

	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error

	TokenStore
}

// Record is one session in a user's index.
type Record struct {
	Hash      TokenHash
	Data      []byte // as committed; decode with codec
	ExpiresAt time.Time
}

// maxListed bounds ListUser.
const maxListed = 500
