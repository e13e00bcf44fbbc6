package validation

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problems CleanText and CheckText report. They are safe to show the user.
const (
	ProblemInvalidUTF8 = "must be valid UTF-8"
	ProblemRequired    = "is required"
	ProblemControl     = "must not contain control characters" // line separators included
	ProblemInvisible   = "must not contain invisible or text-direction characters"
)

// CleanText trims s and checks it is a single line of 1..maxRunes visible
// characters, the rule for every human-readable name (users, tenants,
// projects). It returns the trimmed text and "", or "" and the problem to
// report for the field. maxRunes must be positive.
//
// It refuses invalid UTF-8, and (see CheckText) control characters, line and
// paragraph separators, and invisible format characters: bidirectional
// controls (which make "evil\u202Egnp.exe" display as "evilexe.png"), the
// byte-order mark, zero-width spaces, soft hyphens, tag characters and
// other default-ignorable code points that let two names look the same but
// differ.
func CleanText(s string, maxRunes int) (string, string) {
	if maxRunes <= 0 {
		panic("validation: CleanText: maxRunes must be positive, got " + strconv.Itoa(maxRunes))
	}
	if !utf8.ValidString(s) {
		return "", ProblemInvalidUTF8
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", ProblemRequired
	case utf8.RuneCountInString(s) > maxRunes:
		return "", "must be at most " + strconv.Itoa(maxRunes) + " characters"
	}
	if problem := CheckText(s); problem != "" {
		return "", problem
	}
	return s, ""
}

// CheckText returns "" when every character of s may appear in stored,
// displayed text, or the problem otherwise. It neither trims nor checks the
// length; CleanText does both and then calls it. Fields with their own
// syntax (email addresses) call it directly.
//
// Refused:
//   - invalid UTF-8;
//   - control characters (unicode.IsControl: C0, DEL, C1, NUL included) and
//     the line and paragraph separators U+2028 and U+2029;
//   - format characters (Unicode category Cf: bidirectional controls such
//     as U+202E and U+2066..U+2069, U+200B zero-width space, U+2060 word
//     joiner, U+FEFF byte-order mark, U+00AD soft hyphen, tag characters
//     U+E0000..U+E007F) and the other default-ignorable code points, such as
//     the Hangul fillers, which render as nothing.
//
// Allowed, as the one exception: the joiners U+200D (ZWJ) and U+200C (ZWNJ)
// between two visible non-ASCII characters. Emoji sequences need ZWJ
// ("👩‍💻"), and Persian and Indic scripts need both to spell words right.
// At the start or end, next to ASCII (which never needs them: "ad\u200Dmin"
// would pass for "admin"), next to a space or another format character,
// they are refused. Variation selectors (U+FE0F, emoji presentation) are
// combining marks, not format characters, and are allowed.
//
// Subdivision flags (🏴 followed by tag characters) are therefore refused:
// tag characters are invisible and have been used to smuggle hidden text.
func CheckText(s string) string {
	if !utf8.ValidString(s) {
		return ProblemInvalidUTF8
	}
	prev := utf8.RuneError // the rune before r; RuneError at the start
	for i, r := range s {
		switch {
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return ProblemControl
		case r == '\u200C' || r == '\u200D':
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):]) // RuneError at the end
			if !joinable(prev) || !joinable(next) {
				return ProblemInvisible
			}
		case invisible(r):
			return ProblemInvisible
		}
		prev = r
	}
	return ""
}

// invisible reports whether r is a format character or otherwise default
// ignorable: it renders as nothing, or changes how its neighbours render.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// joinable reports whether a joiner may sit next to r: r is a visible,
// non-ASCII character (a letter, mark, symbol or emoji), not a space,
// control or invisible character.
func joinable(r rune) bool {
	return r > unicode.MaxASCII && r != utf8.RuneError && !unicode.IsSpace(r) &&
		!unicode.IsControl(r) && !invisible(r)
}

// Truncate makes s valid UTF-8 of at most n bytes, without NUL bytes, cut
// at a character boundary: for request metadata (user agents, request ids)
// stored as it came, within a column's bound.
func Truncate(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
