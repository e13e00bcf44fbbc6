package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// Purpose is what an account token is for; a token works for its own
// purpose only.
type Purpose string

// The purposes of account tokens, with the lifetimes below.
const (
	PurposeVerifyEmail   Purpose = "verify_email"
	PurposePasswordReset Purpose = "password_reset"
	PurposeEmailChange   Purpose = "email_change"
)

// Token lifetimes.
const (
	VerifyEmailTTL   = 24 * time.Hour
	PasswordResetTTL = 30 * time.Minute
	EmailChangeTTL   = 24 * time.Hour
)

func (p Purpose) ttl() time.Duration {
	switch p {
	case PurposePasswordReset:
		return PasswordResetTTL
	case PurposeEmailChange:
		return EmailChangeTTL
	default:
		return VerifyEmailTTL
	}
}

// tokenBytes is the entropy of an account token.
const tokenBytes = 32

// newToken returns a fresh token as the user gets it (unpadded base64url
// of 32 random bytes) and the SHA-256 of those bytes, which is all that is
// stored.
func newToken() (raw string, hash []byte) {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // never fails (crypto/rand's contract since Go 1.24)
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(b), sum[:]
}

// tokenHash is the stored form of a token the user presents, or false when
// it cannot be one we issued (wrong length or alphabet): no lookup is made
// for it.
//
// The lookup is by the SHA-256 of the token, through the primary key.
// Comparing hashes byte by byte leaks nothing useful: learning a prefix of
// a hash does not help forge a token that has it (the token would have to
// be a SHA-256 preimage), which is why a hashed token needs no
// constant-time comparison of its own.
func tokenHash(raw string) ([]byte, bool) {
	if len(raw) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) != tokenBytes {
		return nil, false
	}
	sum := sha256.Sum256(b)
	return sum[:], true
}
