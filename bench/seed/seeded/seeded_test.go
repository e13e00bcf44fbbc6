package seeded

import (
	"encoding/base64"
	"testing"
)

// Tokens must be shaped like the ones scs issues, or the session stores
// answer "not found" without looking (internal/session: hashToken).
func TestTokenShape(t *testing.T) {
	seen := map[string]bool{}
	for i := range 1000 {
		tok := Token(DefaultSeed, i)
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if len(tok) != TokenLen || err != nil || len(b) != 32 {
			t.Fatalf("token %d = %q (%d chars, %v): want 32 bytes as unpadded base64url", i, tok, len(tok), err)
		}
		if seen[tok] {
			t.Fatalf("token %d repeats an earlier one", i)
		}
		seen[tok] = true
	}
	// A second derivation gives the same token; another seed, another.
	if again := Token(DefaultSeed, 7); again != Token(DefaultSeed, 7) || again == Token("other", 7) {
		t.Error("tokens must depend on the seed and the index only")
	}
	if u := UserID(DefaultSeed, 1); u.Version() != 4 || u.Variant().String() != "RFC4122" {
		t.Errorf("UserID = %v: want a version 4, RFC 4122 UUID", u)
	}
}
