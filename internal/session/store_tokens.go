package session

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// TokenStore keeps bearer-token families (see tokens.go): one family per
// sign-in of a native or single-page client, holding its refresh tokens and
// access tokens, all stored as hashes (TokenHash of the whole token).
//
// Every operation is atomic in the store, and takes the time (now) from the
// caller, so that idle and absolute expiry and the grace window are judged
// by the Manager's clock. The family id is part of every token, so a store
// can keep a family's records together (one Redis Cluster slot) and find
// them without a secondary index. Errors that mean the store is unreachable
// wrap ErrUnavailable.
type TokenStore interface {
	// CreateFamily stores f with its first refresh token and first access
	// token, which expires at accessExpiresAt.
	CreateFamily(ctx context.Context, f Family, refresh, access TokenHash, accessExpiresAt time.Time) error

	// LookupAccess returns what the access token with hash h of family
	// familyID grants; found is false, and err nil, when the store holds
	// no such token, its family is gone, or it expired at or before now.
	// It costs one read (one statement, one command).
	LookupAccess(ctx context.Context, familyID uuid.UUID, h TokenHash, now time.Time) (g AccessGrant, found bool, err error)

	// RefreshFamily judges the refresh token r.Presented of family
	// r.FamilyID and acts on it in one atomic step (see RefreshOutcome).
	// Of concurrent calls with one token, exactly one rotates; the others
	// see RefreshGrace (or RefreshNotFound once the family is gone).
	RefreshFamily(ctx context.Context, r TokenRefresh) (RefreshResult, error)

	// RevokeFamily deletes family familyID, with its tokens, if it issued
	// the token (refresh, current or spent, or access) with hash h.
	// Revoking nothing is no error.
	RevokeFamily(ctx context.Context, familyID uuid.UUID, h TokenHash) error

	// ListUserFamilies returns userID's families that are live at now, at
	// most a few hundred, most recently refreshed first.
	ListUserFamilies(ctx context.Context, userID uuid.UUID, now time.Time) ([]Family, error)

	// DeleteUserFamily deletes family familyID, with its tokens, if it
	// belongs to userID, and reports whether it did.
	DeleteUserFamily(ctx context.Context, userID, familyID uuid.UUID) (bool, error)
}

// Family is one bearer-token sign-in: the metadata a user's session list
// shows, and its expiry. Like Session it references the user and tenant by
// id only.
type Family struct {
	// ID is the public id of the family, shown and revoked by like a
	// Session's ID. It is part of every token of the family.
	ID       uuid.UUID
	UserID   uuid.UUID
	TenantID uuid.UUID // uuid.Nil for none
	// CreatedAt is the sign-in; LastSeenAt the last refresh (or the
	// sign-in).
	CreatedAt  time.Time
	LastSeenAt time.Time
	// IdleExpiresAt ends the family unless it is refreshed before; each
	// refresh moves it, never beyond ExpiresAt, the absolute expiry.
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
	IP            string
	UserAgent     string
}

// AccessGrant is what a live access token grants.
type AccessGrant struct {
	FamilyID  uuid.UUID
	UserID    uuid.UUID
	TenantID  uuid.UUID // uuid.Nil for none
	ExpiresAt time.Time
}

// TokenRefresh is one presentation of a refresh token to RefreshFamily,
// with the successors the caller derived from it. The same presented token
// always comes with the same successors, so a store never needs a raw
// token to answer a retry.
type TokenRefresh struct {
	FamilyID  uuid.UUID
	Presented TokenHash
	// Next and Access are the hashes of the successor refresh token and
	// of the new access token.
	Next, Access TokenHash
	Now          time.Time
	// IdleExpiresAt is the family's new idle expiry should it rotate (the
	// store caps it at the family's absolute expiry); AccessExpiresAt the
	// new access token's expiry (capped likewise).
	IdleExpiresAt   time.Time
	AccessExpiresAt time.Time
	// GraceStart: the previous refresh token is honoured as a retry when
	// it was rotated after this time.
	GraceStart time.Time
}

// RefreshOutcome is what RefreshFamily did.
type RefreshOutcome int

const (
	// RefreshNotFound: the family does not know the token, or the family
	// is gone or expired (an expired family is deleted). Nothing lives.
	RefreshNotFound RefreshOutcome = iota
	// RefreshRotated: the token was the family's current one; Next is now
	// current, the presented one previous, and the access token stored.
	RefreshRotated
	// RefreshGrace: the token was the previous one, rotated after
	// GraceStart: a retry. Nothing was written; the successors (the same
	// Next and Access as the rotation's) are live.
	RefreshGrace
	// RefreshReused: the family issued the token, but it is spent (older
	// than the previous one, or the previous one after the grace window).
	// The family and all its tokens are deleted, durably.
	RefreshReused
)

// RefreshResult is RefreshFamily's answer. For RefreshRotated and
// RefreshGrace it describes the family; the access token it holds expires
// at min(RotatedAt + the access lifetime, ExpiresAt).
type RefreshResult struct {
	Outcome  RefreshOutcome
	UserID   uuid.UUID
	TenantID uuid.UUID
	// RotatedAt is when the rotation the successors come from happened:
	// r.Now for RefreshRotated, earlier for RefreshGrace.
	RotatedAt time.Time
	// ExpiresAt is the family's absolute expiry.
	ExpiresAt time.Time
}
