package validation

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	const max = 10
	tests := []struct {
		name, in string
		want     string // the cleaned text when the problem is ""
		problem  string
	}{
		{"plain", "Acme", "Acme", ""},
		{"trimmed", " \t Acme Corp \n", "Acme Corp", ""},
		{"inner spaces kept", "a  b", "a  b", ""},
		{"non-ASCII letters", "Zoë 李", "Zoë 李", ""},
		{"combining accent", "Zoe\u0308", "Zoe\u0308", ""},
		{"exactly max characters", strings.Repeat("é", max), strings.Repeat("é", max), ""},
		{"emoji ZWJ sequence", "👩\u200D💻 Dev", "👩\u200D💻 Dev", ""},
		{"emoji with variation selector and ZWJ", "🏳\uFE0F\u200D🌈", "🏳\uFE0F\u200D🌈", ""},
		{"Persian ZWNJ", "می\u200Cخواهم", "می\u200Cخواهم", ""},
		{"Devanagari ZWJ after virama", "क्\u200Dष", "क्\u200Dष", ""},
		{"ideographic space inside", "東京\u3000本社", "東京\u3000本社", ""},

		{"empty", "", "", ProblemRequired},
		{"only spaces", " \t\n ", "", ProblemRequired},
		{"only NBSP and ideographic space", "\u00A0\u3000", "", ProblemRequired},
		{"invalid UTF-8", "Ac\xffme", "", ProblemInvalidUTF8},
		{"truncated UTF-8", "Ac\xc3", "", ProblemInvalidUTF8},
		{"UTF-8 encoded surrogate", "Ac\xed\xa0\x80me", "", ProblemInvalidUTF8},
		{"too long", strings.Repeat("é", max+1), "", "must be at most 10 characters"},
		{"NUL", "Ac\x00me", "", ProblemControl},
		{"newline inside", "Ac\nme", "", ProblemControl},
		{"tab inside", "Ac\tme", "", ProblemControl},
		{"DEL", "Acme\x7f", "", ProblemControl},
		{"C1 control", "Ac\u0085me", "", ProblemControl},
		{"line separator", "Ac\u2028me", "", ProblemControl},
		{"paragraph separator", "Ac\u2029me", "", ProblemControl},
		{"right-to-left override", "e\u202Egnp.exe", "", ProblemInvisible},
		{"left-to-right embedding", "\u202AAcme", "", ProblemInvisible},
		{"isolate", "\u2066Acme\u2069", "", ProblemInvisible},
		{"right-to-left mark", "Acme\u200F", "", ProblemInvisible},
		{"Arabic letter mark", "Ac\u061Cme", "", ProblemInvisible},
		{"byte-order mark first", "\uFEFFAcme", "", ProblemInvisible},
		{"zero-width space", "Ac\u200Bme", "", ProblemInvisible},
		{"word joiner", "Ac\u2060me", "", ProblemInvisible},
		{"soft hyphen", "Ac\u00ADme", "", ProblemInvisible},
		{"tag characters", "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", "", ProblemInvisible},
		{"Hangul filler", "\u3164", "", ProblemInvisible},
		{"combining grapheme joiner", "Ac\u034Fme", "", ProblemInvisible},
		{"ZWJ between ASCII letters", "ad\u200Dmin", "", ProblemInvisible},
		{"ZWNJ between ASCII letters", "ad\u200Cmin", "", ProblemInvisible},
		{"ZWJ alone", "\u200D", "", ProblemInvisible},
		{"ZWJ first", "\u200D👩", "", ProblemInvisible},
		{"ZWJ last", "👩\u200D", "", ProblemInvisible},
		{"ZWJ before a space", "👩\u200D 💻", "", ProblemInvisible},
		{"two ZWJs", "👩\u200D\u200D💻", "", ProblemInvisible},
		{"ZWJ next to a bidi control", "👩\u200D\u202E💻", "", ProblemInvisible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := CleanText(tt.in, max)
			if got != tt.want || problem != tt.problem {
				t.Errorf("CleanText(%q, %d) = %q, %q; want %q, %q", tt.in, max, got, problem, tt.want, tt.problem)
			}
		})
	}
}

func TestCleanTextRejectsNonPositiveMax(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("CleanText(s, 0) did not panic")
		}
	}()
	CleanText("Acme", 0)
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		in, problem string
	}{
		{"ada@example.com", ""},
		{"", ""},
		{" padded ", ""}, // CheckText does not trim; spaces are fine
		{"ada\x00@example.com", ProblemControl},
		{"ada@example.com\u202E", ProblemInvisible},
		{"ad\u200Ba@example.com", ProblemInvisible},
		{"ada\xff@example.com", ProblemInvalidUTF8},
	}
	for _, tt := range tests {
		if got := CheckText(tt.in); got != tt.problem {
			t.Errorf("CheckText(%q) = %q, want %q", tt.in, got, tt.problem)
		}
	}
}

// FuzzCleanText checks what CleanText accepts is safe to store and display:
// valid UTF-8, trimmed, 1..max characters, no control or line-breaking
// character, and no invisible character but a joiner between visible
// non-ASCII ones.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"Acme", " a ", "👩\u200D💻", "a\u200Db", "\uFEFF", "\xff", "a\x00", "\u202E", "می\u200Cخواهم"} {
		f.Add(s)
	}
	const max = 20
	f.Fuzz(func(t *testing.T, in string) {
		got, problem := CleanText(in, max)
		if problem != "" {
			if got != "" {
				t.Errorf("CleanText(%q) = %q with problem %q, want \"\"", in, got, problem)
			}
			return
		}
		if !utf8.ValidString(got) || got == "" || got != strings.TrimSpace(got) || utf8.RuneCountInString(got) > max {
			t.Fatalf("CleanText(%q) accepted %q", in, got)
		}
		runes := []rune(got)
		for i, r := range runes {
			if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) {
				t.Fatalf("CleanText(%q) accepted %q with control %U", in, got, r)
			}
			if !invisible(r) {
				continue
			}
			if r != '\u200C' && r != '\u200D' || i == 0 || i == len(runes)-1 ||
				runes[i-1] <= unicode.MaxASCII || runes[i+1] <= unicode.MaxASCII || invisible(runes[i-1]) || invisible(runes[i+1]) {
				t.Fatalf("CleanText(%q) accepted %q with invisible %U at %d", in, got, r, i)
			}
		}
	})
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"abcdef", 3, "abc"},
		{"héllo", 2, "h"},    // é is two bytes: not cut in half
		{"a\x00b", 10, "ab"}, // NUL bytes dropped
		{"a\xffb", 10, "ab"}, // invalid UTF-8 dropped
		{"日本", 4, "日"},
	}
	for _, tt := range tests {
		if got := Truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
