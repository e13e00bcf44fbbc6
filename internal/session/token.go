package session

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
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
