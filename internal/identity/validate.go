package identity

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/validation"
)

// Input limits. The schema's CHECK constraints say the same, as a backstop.
const (
	maxEmailBytes     = 254 // RFC 5321 path limit, less the angle brackets
	maxEmailLocalPart = 64  // RFC 5321 §4.5.3.1.1
	maxNameRunes      = 200
)

// slugPattern is a DNS label: lowercase, so a slug works as a subdomain too.
var slugPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// reservedSlugs cannot be tenant slugs: they collide with routes, hostnames
// or words that would let a tenant pass for the platform.
var reservedSlugs = map[string]bool{
	"about": true, "account": true, "accounts": true, "admin": true, "administrator": true,
	"api": true, "app": true, "apps": true, "assets": true, "auth": true,
	"billing": true, "blog": true, "cdn": true, "dashboard": true, "dev": true,
	"docs": true, "email": true, "ftp": true, "graphql": true, "health": true,
	"healthz": true, "help": true, "internal": true, "localhost": true, "login": true,
	"logout": true, "mail": true, "me": true, "metrics": true, "new": true,
	"null": true, "oauth": true, "openid": true, "platform": true, "privacy": true,
	"public": true, "readyz": true, "register": true, "root": true, "security": true,
	"settings": true, "signin": true, "signup": true, "smtp": true, "sso": true,
	"staging": true, "static": true, "status": true, "support": true, "system": true,
	"t": true, "tenant": true, "tenantkit": true, "tenants": true, "terms": true,
	"test": true, "undefined": true, "user": true, "users": true, "webhooks": true,
	"well-known": true, "www": true,
}

// normalizeEmail trims raw and checks it is a bare address, returning the
// address to store and "" or the problem to report. Case is kept as typed;
// comparisons use lower() in SQL.
func normalizeEmail(raw string) (string, string) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", "is required"
	case !utf8.ValidString(s):
		return "", "must be valid UTF-8"
	case len(s) > maxEmailBytes:
		return "", "must be at most " + strconv.Itoa(maxEmailBytes) + " bytes"
	}
	if problem := validation.CheckText(s); problem != "" {
		return "", problem
	}
	// ParseAddress also accepts "Name <a@b>" and comments; only the bare
	// address, exactly as given, is an email field.
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s {
		return "", "must be an email address like name@example.com"
	}
	if local, _, _ := strings.Cut(s, "@"); len(local) > maxEmailLocalPart {
		return "", "must have at most " + strconv.Itoa(maxEmailLocalPart) + " bytes before the @"
	}
	return s, ""
}

// normalizeName trims raw and checks it is a display name (of a user or a
// tenant) of 1..200 visible characters: no control, bidirectional or
// invisible characters, by the rule every name shares (validation.CleanText).
func normalizeName(raw string) (string, string) {
	return validation.CleanText(raw, maxNameRunes)
}

// normalizeSlug trims raw and checks it is a usable, unreserved slug.
func normalizeSlug(raw string) (string, string) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", "is required"
	case !slugPattern.MatchString(s):
		return "", "must be 1 to 63 lowercase letters, digits or hyphens, not starting or ending with a hyphen"
	case len(s) >= 4 && s[2:4] == "--":
		// "xn--" and friends: reserved for internationalized domain names,
		// where a look-alike of another tenant's name could hide.
		return "", "must not have hyphens in the third and fourth places"
	case isUUID(s):
		// Tenant(ref) reads a UUID as an id, so such a slug could never be
		// looked up by slug.
		return "", "must not look like an id"
	case reservedSlugs[s]:
		return "", "is reserved"
	}
	return s, ""
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}
