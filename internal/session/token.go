package session

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/google/uuid"
)

// TokenHash is the SHA-256 of a session token: the only form in which a
// token is stored.
type TokenHash [sha256.Size]byte

// tokenLen is the length of the tokens scs issues: 32 random bytes,
// base64url without padding.
var tokenLen = base64.RawURLEncoding.EncodedLen(32)

// hashToken returns the hash of token, and false when token is not shaped
// like a token scs issued, so a store can answer "not found" to a forged or
// truncated cookie without a round trip.
func hashToken(token string) (TokenHash, bool) {
	if len(token) != tokenLen {
		return TokenHash{}, false
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return TokenHash{}, false
		}
	}
	return sha256.Sum256([]byte(token)), true
}

// errMalformedToken refuses a commit under a token scs did not issue.
var errMalformedToken = errors.New("session: refusing to store a malformed token")

// rotation is a RotateCtx call checked and hashed, the part both stores share.
type rotation struct {
	oldHash, newHash TokenHash
	userID           uuid.UUID
	// skip: nothing to move (the old token is not one scs issued).
	skip bool
	// expired: the record would be dead on arrival; the store deletes the
	// old one instead of moving it.
	expired bool
}

func parseRotation(oldToken, newToken string, b []byte, expiry time.Time) (rotation, error) {
	var r rotation
	var ok bool
	if r.oldHash, ok = hashToken(oldToken); !ok {
		r.skip = true
		return r, nil
	}
	if r.newHash, ok = hashToken(newToken); !ok {
		return r, errMalformedToken
	}
	var err error
	if r.userID, err = userIDOf(b); err != nil {
		return r, err
	}
	r.expired = !expiry.After(time.Now())
	return r, nil
}
