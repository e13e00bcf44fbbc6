package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
)

func TestSeal(t *testing.T) {
	s, err := newSealer(testKey)
	if err != nil {
		t.Fatal(err)
	}
	token := newToken()
	sealed, err := s.seal(token, "password_reset", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, token) {
		t.Fatal("the sealed token holds the raw one")
	}
	again, err := s.seal(token, "password_reset", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if again == sealed {
		t.Error("sealing twice gave the same text: the nonce is not random")
	}
	if got, err := s.open(sealed, "password_reset", "ada@example.com"); err != nil || got != token {
		t.Errorf("open: %q, %v; want the token", got, err)
	}
	for _, tc := range []struct{ name, sealed, kind, to string }{
		{"another address", sealed, "password_reset", "eve@example.com"},
		{"another kind", sealed, "verify_email", "ada@example.com"},
		{"no prefix", strings.TrimPrefix(sealed, sealPrefix), "password_reset", "ada@example.com"},
		{"truncated", sealed[:len(sealed)-1], "password_reset", "ada@example.com"},
		{"short", sealPrefix + "AAAA", "password_reset", "ada@example.com"},
		{"not base64", sealPrefix + "!!!!", "password_reset", "ada@example.com"},
	} {
		if got, err := s.open(tc.sealed, tc.kind, tc.to); err == nil {
			t.Errorf("%s: opened to %q", tc.name, got)
		}
	}
	if got, err := s.seal("", "password_changed", "ada@example.com"); got != "" || err != nil {
		t.Errorf("seal of no token: %q, %v; want \"\"", got, err)
	}
}

func TestBackoff(t *testing.T) {
	b := &backoff{base: 100 * time.Millisecond, max: time.Hour}
	for failures, want := range map[int]time.Duration{
		0:  100 * time.Millisecond, // the first attempt failed
		1:  200 * time.Millisecond,
		2:  400 * time.Millisecond,
		15: 100 * time.Millisecond << 15,
		16: time.Hour,
		99: time.Hour,
	} {
		job := &rivertype.JobRow{Errors: make([]rivertype.AttemptError, failures)}
		before := time.Now()
		got := b.NextRetry(job).Sub(before)
		if got < want || got > want+time.Second {
			t.Errorf("after %d earlier failures: retry in %s, want %s", failures, got, want)
		}
	}
}
