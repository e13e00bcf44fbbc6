// Package seeded names the rows that bench/seed writes, so that the tools
// that use them (bench/sessionlookup) can find them again without a list:
// every id and session token is derived from a seed string and the row's
// index.
//
// This is a benchmark-only shortcut. The server's tokens are 32 bytes from
// crypto/rand; anyone who knows the seed knows every seeded token, so a
// seeded database must never hold real users or face a network.
package seeded

import (
	"crypto/sha256"
	"encoding/base64"
	"strconv"

	"github.com/google/uuid"
)

// DefaultSeed is the seed the tools use unless told otherwise.
const DefaultSeed = "tenantkit-bench"

// TokenLen is the length of a token: what scs issues, 32 bytes as unpadded
// base64url.
var TokenLen = base64.RawURLEncoding.EncodedLen(sha256.Size)

// derive returns the SHA-256 of "<seed>/<kind>/<i>".
func derive(seed, kind string, i int) [sha256.Size]byte {
	var buf [128]byte // no allocation for the usual seed
	b := append(buf[:0], seed...)
	b = append(b, '/')
	b = append(b, kind...)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(i), 10)
	return sha256.Sum256(b)
}

// id is a version 4 UUID made of derived bytes, shaped like the ones
// gen_random_uuid() and uuid.New() give.
func id(seed, kind string, i int) uuid.UUID {
	d := derive(seed, kind, i)
	var u uuid.UUID
	copy(u[:], d[:16])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u
}

// AppendToken appends the session token of session i to dst: 32 derived
// bytes as unpadded base64url, the shape of the tokens scs issues.
func AppendToken(dst []byte, seed string, i int) []byte {
	d := derive(seed, "token", i)
	return base64.RawURLEncoding.AppendEncode(dst, d[:])
}

// Token is the session token of session i (the session of user i).
func Token(seed string, i int) string { return string(AppendToken(nil, seed, i)) }

// UserID is the id of user i.
func UserID(seed string, i int) uuid.UUID { return id(seed, "user", i) }

// TenantID is the id of tenant i.
func TenantID(seed string, i int) uuid.UUID { return id(seed, "tenant", i) }

// SessionID is the public id of session i (not its token).
func SessionID(seed string, i int) uuid.UUID { return id(seed, "session", i) }

// Email is user i's address; .invalid never delivers (RFC 2606).
func Email(i int) string { return "seed-" + strconv.Itoa(i) + "@scale.invalid" }

// Slug is tenant i's slug.
func Slug(i int) string { return "seed-" + strconv.Itoa(i) }
