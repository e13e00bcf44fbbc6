package identity

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The password policy follows NIST SP 800-63B and OWASP ASVS 5.0 V6.2: a
// minimum length in characters, a generous maximum in bytes checked before
// any hashing, a block list of common and context-specific passwords, and no
// composition rules. Passwords are never truncated or trimmed.

const (
	DefaultMinPasswordLength = 8   // the floor NIST and ASVS allow; Config.MinPasswordLength may raise it
	MaxMinPasswordLength     = 64  // a higher minimum would refuse long passphrases' shorter cousins for no gain
	defaultMaxPasswordBytes  = 256 // any 64-character password fits, even at 4 bytes a character
	minMaxPasswordBytes      = 256 // NIST and ASVS: allow at least 64 characters
	maxMaxPasswordBytes      = 4096
)

//go:embed commonpasswords.txt
var commonPasswordsFile string

// commonPasswords is the embedded block list as a set, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 12000)
	for line := range strings.Lines(commonPasswordsFile) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[line] = struct{}{}
	}
	return set
})

type passwordPolicy struct {
	minRunes int
	maxBytes int
}

// malformed returns a field problem for a password that cannot be accepted
// at all, before anything expensive runs: too many bytes, invalid UTF-8 or
// control characters. It returns "" for a well-formed password.
func (p passwordPolicy) malformed(password string) string {
	switch {
	case password == "":
		return "is required"
	case len(password) > p.maxBytes:
		return "must be at most " + strconv.Itoa(p.maxBytes) + " bytes"
	case !utf8.ValidString(password):
		return "must be valid UTF-8"
	}
	for _, r := range password {
		if unicode.IsControl(r) {
			return "must not contain control characters"
		}
	}
	return ""
}

// weakness returns why a well-formed, normalized password is too easy to
// guess, or "". The reason is safe to show the user. Comparisons ignore case.
func (p passwordPolicy) weakness(password, email, name string) string {
	if n := utf8.RuneCountInString(password); n < p.minRunes {
		return fmt.Sprintf("use at least %d characters", p.minRunes)
	}
	lower := strings.ToLower(password)
	if _, common := commonPasswords()[lower]; common {
		return "it is one of the most commonly used passwords"
	}
	if first, _ := utf8.DecodeRuneInString(lower); strings.Trim(lower, string(first)) == "" {
		return "it repeats a single character"
	}
	local, _, _ := strings.Cut(email, "@")
	for _, personal := range []string{email, local, name, strings.ReplaceAll(name, " ", "")} {
		if personal != "" && lower == strings.ToLower(normalizePassword(personal)) {
			return "it must not be your email address or name"
		}
	}
	return ""
}

// normalizePassword applies Unicode NFKC, as NIST SP 800-63B asks, so the
// same password typed on another keyboard or OS (composed or decomposed
// accents, full-width forms) still matches. SignUp and Authenticate must
// both call it.
func normalizePassword(password string) string {
	return norm.NFKC.String(password)
}
