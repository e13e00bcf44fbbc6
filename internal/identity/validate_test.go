package identity

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/internal/validation"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ada@example.com", "ada@example.com", true},
		{"  Ada.Lovelace+x@Example.COM\t\n", "Ada.Lovelace+x@Example.COM", true},
		{"user@localhost", "user@localhost", true},
		{strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64) + "@example.com", true},
		{"", "", false},
		{"   ", "", false},
		{"ada", "", false},
		{"ada@", "", false},
		{"@example.com", "", false},
		{"Ada <ada@example.com>", "", false},
		{"<ada@example.com>", "", false},
		{"ada@example.com (Ada)", "", false},
		{`"ada lovelace"@example.com`, "", false},
		{"ada@example.com, bob@example.com", "", false},
		{"ada\x00@example.com", "", false},
		{"ada@exa\x00mple.com", "", false},
		{"ada\xff@example.com", "", false},
		{"ada@example.com\u202e", "", false},
		{"ada\u200b@example.com", "", false},
		{"\ufeffada@example.com", "", false},
		{strings.Repeat("a", 65) + "@example.com", "", false},
		{"a@" + strings.Repeat("b", 250) + ".com", "", false},
	}
	for _, tt := range tests {
		got, problem := normalizeEmail(tt.in)
		if (problem == "") != tt.ok || got != tt.want {
			t.Errorf("normalizeEmail(%q) = %q, %q; want %q, ok=%v", tt.in, got, problem, tt.want, tt.ok)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Ada Lovelace", "Ada Lovelace", true},
		{"  Ada  ", "Ada", true},
		{"Zoë Ünal-李", "Zoë Ünal-李", true},
		{"👩‍💻 Dev", "👩‍💻 Dev", true}, // ZWJ sequences are fine
		{strings.Repeat("é", 200), strings.Repeat("é", 200), true},
		{"", "", false},
		{" \t ", "", false},
		{strings.Repeat("é", 201), "", false},
		{"Ada\x00", "", false},
		{"Ada\nLovelace", "", false},
		{"Ada\x7f", "", false},
		{"Ada\xc3", "", false},
		{"evil\u202egnp.exe", "", false},
		{"\u2066Ada", "", false},
		{"\ufeffAda", "", false},
		{"Ad\u200ba", "", false},
		{"Ad\u00ada", "", false},
		{"Ad\u200da", "", false}, // a joiner between ASCII letters only hides
		{"Ada\u2028Lovelace", "", false},
	}
	for _, tt := range tests {
		got, problem := normalizeName(tt.in)
		if (problem == "") != tt.ok || got != tt.want {
			t.Errorf("normalizeName(%q) = %q, %q; want %q, ok=%v", tt.in, got, problem, tt.want, tt.ok)
		}
	}
}

func TestNormalizeSlug(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"acme", "acme", true},
		{" acme-corp ", "acme-corp", true},
		{"a", "a", true},
		{"a1-b2-c3", "a1-b2-c3", true},
		{"ab-c--d", "ab-c--d", true},
		{strings.Repeat("a", 63), strings.Repeat("a", 63), true},
		{"", "", false},
		{strings.Repeat("a", 64), "", false},
		{"Acme", "", false},
		{"-acme", "", false},
		{"acme-", "", false},
		{"ac_me", "", false},
		{"ac.me", "", false},
		{"acmé", "", false},
		{"ac\x00me", "", false},
		{"\xff", "", false},
		{"xn--80ak6aa92e", "", false},
		{"ab--cd", "", false},
		{"api", "", false},
		{"www", "", false},
		{"admin", "", false},
		{"t", "", false},
		{"static", "", false},
		{"123e4567-e89b-12d3-a456-426614174000", "", false},
		{"0123456789abcdef0123456789abcdef", "", false},
	}
	for _, tt := range tests {
		got, problem := normalizeSlug(tt.in)
		if (problem == "") != tt.ok || got != tt.want {
			t.Errorf("normalizeSlug(%q) = %q, %q; want %q, ok=%v", tt.in, got, problem, tt.want, tt.ok)
		}
	}
}

// FuzzNormalize checks that whatever the normalizers accept is safe to store:
// valid UTF-8, no NUL or control characters, within the byte and character
// limits, and a slug matches its pattern.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"ada@example.com", " Ada ", "acme", "a\x00b", "\xff", "x@y", "Ada <a@b.c>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if got, problem := normalizeEmail(in); problem == "" {
			if !utf8.ValidString(got) || validation.CheckText(got) != "" || len(got) > maxEmailBytes || got != strings.TrimSpace(got) {
				t.Errorf("normalizeEmail accepted %q as %q", in, got)
			}
		}
		if got, problem := normalizeName(in); problem == "" {
			if !utf8.ValidString(got) || validation.CheckText(got) != "" || got == "" || utf8.RuneCountInString(got) > maxNameRunes {
				t.Errorf("normalizeName accepted %q as %q", in, got)
			}
		}
		if got, problem := normalizeSlug(in); problem == "" {
			if !slugPattern.MatchString(got) || reservedSlugs[got] || isUUID(got) {
				t.Errorf("normalizeSlug accepted %q as %q", in, got)
			}
		}
	})
}
