package identity

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/internal/validation"
)

// overLimitInBytesOnly are passwords over the 256-byte limit in bytes but
// well under it in characters: a limit counted in runes lets them through.
var overLimitInBytesOnly = map[string]string{
	"129 two-byte characters (258 bytes)":  strings.Repeat("éà", 64) + "ü",
	"86 three-byte characters (258 bytes)": strings.Repeat("日本語", 28) + "パス",
	"65 four-byte characters (260 bytes)":  strings.Repeat("😀🎉", 32) + "🚀",
	"200 two-byte characters (400 bytes)":  strings.Repeat("жизнь", 40),
	"ASCII then one two-byte (257 bytes)":  strings.Repeat("x", 255) + "é",
}

// TestPasswordByteLimitIsInBytes: the maximum password length is in bytes,
// checked before hashing, in the policy, in SignUp and in Authenticate.
func TestPasswordByteLimitIsInBytes(t *testing.T) {
	p := passwordPolicy{minRunes: 8, maxBytes: 256}
	for name, pw := range overLimitInBytesOnly {
		if len(pw) <= 256 || utf8.RuneCountInString(pw) > 256 {
			t.Fatalf("%s: %d bytes, %d runes: not a byte-only over-limit case", name, len(pw), utf8.RuneCountInString(pw))
		}
		if got := p.malformed(pw); got != "must be at most 256 bytes" {
			t.Errorf("malformed(%s) = %q, want the byte limit", name, got)
		}
	}
	if got := p.malformed(strings.Repeat("é", 128)); got != "" {
		t.Errorf("malformed(128 two-byte characters, exactly 256 bytes) = %q, want ok", got)
	}

	s, probe := newTestService(t, Config{})
	email := uniqueEmail()
	if _, err := s.SignUp(t.Context(), email, goodPassword, "Ada"); err != nil {
		t.Fatal(err)
	}
	before := probe.calls.Load()
	for name, pw := range overLimitInBytesOnly {
		_, err := s.SignUp(t.Context(), uniqueEmail(), pw, "Ada")
		if fe, ok := errors.AsType[validation.Errors](err); !ok || len(fe) != 1 || fe[0].Field != "password" {
			t.Errorf("SignUp with %s = %v, want a password field problem", name, err)
		}
		if _, err := s.Authenticate(t.Context(), email, pw); err != ErrInvalidCredentials { //nolint:errorlint // the sentinel itself, unwrapped
			t.Errorf("Authenticate with %s = %v, want ErrInvalidCredentials", name, err)
		}
	}
	if n := probe.calls.Load() - before; n != 0 {
		t.Errorf("KDF runs = %d, want 0: an over-long password is refused before hashing", n)
	}
}
