package identity

import (
	"strings"
	"testing"
)

func TestCommonPasswordList(t *testing.T) {
	list := commonPasswords()
	// ASVS 5.0 V6.2.4: at least the top 3000 passwords that meet the policy.
	if len(list) < 3000 {
		t.Errorf("block list has %d entries, want at least 3000", len(list))
	}
	for _, p := range []string{"password", "12345678", "123456789", "qwertyuiop", "iloveyou", "sunshine",
		"football", "baseball", "1q2w3e4r", "password1", "qwerty123", "trustno1", "tenantkit"} {
		if _, ok := list[p]; !ok {
			t.Errorf("block list lacks %q", p)
		}
	}
	for p := range list {
		if p != strings.ToLower(p) || p != normalizePassword(p) || len([]rune(p)) < DefaultMinPasswordLength {
			t.Errorf("block list entry %q is not lowercase, NFKC and at least %d characters", p, DefaultMinPasswordLength)
		}
	}
}

func TestPasswordMalformed(t *testing.T) {
	p := passwordPolicy{minRunes: 8, maxBytes: 256}
	tests := []struct {
		name, password string
		ok             bool
	}{
		{"ordinary", goodPassword, true},
		{"spaces and symbols", "  a b c d !@#$  ", true},
		{"unicode", "пароль-которыйдлинный", true},
		{"exactly the byte limit", strings.Repeat("x", 256), true},
		{"64 four-byte characters fit", strings.Repeat("😀", 64), true},
		{"empty", "", false},
		{"one byte over the limit", strings.Repeat("x", 257), false},
		{"invalid UTF-8", "abcdefgh\xff", false},
		{"NUL", "abcd\x00efgh", false},
		{"newline", "abcd\nefgh", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.malformed(tt.password); (got == "") != tt.ok {
				t.Errorf("malformed(%q) = %q, want ok=%v", tt.password, got, tt.ok)
			}
		})
	}
}

func TestPasswordWeakness(t *testing.T) {
	const email, name = "Ada.Lovelace@Example.com", "Ada Lovelace"
	tests := []struct {
		name, password, want string
	}{
		{"passphrase", goodPassword, ""},
		{"eight characters", "tq8#Lz!2", ""},
		{"eight runes, more bytes", "ñçüéàöäß", ""},
		{"seven characters", "tq8#Lz!", "use at least 8 characters"},
		{"common", "password", "it is one of the most commonly used passwords"},
		{"common in other case", "PassWord1", "it is one of the most commonly used passwords"},
		{"common as full-width", "ｐａｓｓｗｏｒｄ", "it is one of the most commonly used passwords"},
		{"repeated character", "zzzzzzzzzzzz", "it repeats a single character"},
		{"the email", "ada.lovelace@example.COM", "it must not be your email address or name"},
		{"the local part", "ADA.LOVELACE", "it must not be your email address or name"},
		{"the name", "ada lovelace", "it must not be your email address or name"},
		{"the name without spaces", "AdaLovelace", "it must not be your email address or name"},
		{"the name plus more", "ada lovelace rocks", ""},
	}
	p := passwordPolicy{minRunes: 8, maxBytes: 256}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.weakness(normalizePassword(tt.password), email, name); got != tt.want {
				t.Errorf("weakness(%q) = %q, want %q", tt.password, got, tt.want)
			}
		})
	}
	if got := (passwordPolicy{minRunes: 12, maxBytes: 256}).weakness("tq8#Lz!2x", email, name); got != "use at least 12 characters" {
		t.Errorf("weakness with minimum 12 = %q", got)
	}
}
