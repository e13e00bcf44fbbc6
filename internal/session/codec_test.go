package session

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func TestCodecRoundTrip(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	tests := []struct {
		name   string
		values map[string]any
	}{
		{"empty", map[string]any{}},
		{"session", map[string]any{recordKey: Session{
			ID: uuid.New(), UserID: uuid.New(), CreatedAt: now, LastSeenAt: now.Add(time.Minute),
			IP: "192.0.2.1", UserAgent: "Mozilla/5.0",
		}}},
		{"session with tenant", map[string]any{recordKey: Session{
			ID: uuid.New(), UserID: uuid.New(), TenantID: uuid.New(), CreatedAt: now, LastSeenAt: now,
		}}},
	}
	for _, tt := range tests {
		deadline := now.Add(time.Hour)
		b, err := codec{}.Encode(deadline, tt.values)
		if err != nil {
			t.Fatalf("%s: Encode: %v", tt.name, err)
		}
		gotDeadline, gotValues, err := codec{}.Decode(b)
		if err != nil {
			t.Fatalf("%s: Decode: %v", tt.name, err)
		}
		if !gotDeadline.Equal(deadline) {
			t.Errorf("%s: deadline = %v, want %v", tt.name, gotDeadline, deadline)
		}
		if diff := cmp.Diff(gotValues, tt.values); diff != "" {
			t.Errorf("%s: values (-got +want):\n%s", tt.name, diff)
		}
		want := uuid.Nil
		if s, ok := tt.values[recordKey].(Session); ok {
			want = s.UserID
		}
		if got, err := userIDOf(b); err != nil || got != want {
			t.Errorf("%s: userIDOf = %v, %v; want %v", tt.name, got, err, want)
		}
	}
}

func TestCodecRefusesUserData(t *testing.T) {
	tests := []map[string]any{
		{"email": "someone@example.com"},
		{recordKey: "not a Session"},
		{recordKey: Session{UserID: uuid.New()}, "name": "Someone"},
	}
	for _, values := range tests {
		if b, err := (codec{}).Encode(time.Now(), values); err == nil {
			t.Errorf("Encode(%v) = %q, want an error", values, b)
		}
	}
}

// TestCodecRejectsBadData: a record that does not decode, or names no
// user, holds no session (and no error, which scs would answer with a
// 500); TestUndecodableRecordIsNoSession covers what the request does.
func TestCodecRejectsBadData(t *testing.T) {
	for _, b := range []string{"", "garbage", `{"v":2,"deadline":"2026-01-01T00:00:00Z"}`, `{"deadline":"2026-01-01T00:00:00Z"}`,
		`{"v":1,"session":{"uid":"nope"}}`, `{"v":1,"session":{"id":"` + uuid.NewString() + `"}}`} {
		if _, values, err := (codec{}).Decode([]byte(b)); err != nil || values[recordKey] != nil {
			t.Errorf("Decode(%q) = %v, %v; want no session and no error", b, values, err)
		}
	}
	if _, _, ok, err := decodeRecord([]byte("garbage")); err == nil || ok {
		t.Errorf("decodeRecord(garbage): ok %v, err %v; want an error", ok, err)
	}
}

func TestHashToken(t *testing.T) {
	valid := newToken()
	tests := []struct {
		token string
		ok    bool
	}{
		{valid, true},
		{strings.Repeat("A", tokenLen), true},
		{"", false},
		{valid[:tokenLen-1], false},
		{valid + "A", false},
		{valid[:tokenLen-1] + "=", false},
		{valid[:tokenLen-1] + "+", false},
		{valid[:tokenLen-1] + "/", false},
		{valid[:tokenLen-2] + "é", false},
	}
	for _, tt := range tests {
		h, ok := hashToken(tt.token)
		if ok != tt.ok {
			t.Errorf("hashToken(%q) ok = %v, want %v", tt.token, ok, tt.ok)
		}
		if ok == (h == TokenHash{}) {
			t.Errorf("hashToken(%q) = %x with ok %v", tt.token, h, ok)
		}
	}
	a, _ := hashToken(valid)
	b, _ := hashToken(valid)
	if a != b {
		t.Error("hashToken is not deterministic")
	}
}

func TestClientIP(t *testing.T) {
	tests := []struct{ remoteAddr, want string }{
		{"192.0.2.1:1234", "192.0.2.1"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"[::ffff:192.0.2.1]:1", "192.0.2.1"},
		{"198.51.100.9", "198.51.100.9"},
		{"2001:db8::2", "2001:db8::2"},
		{"", ""},
		{"not an address", ""},
		{"@", ""},
	}
	for _, tt := range tests {
		if got := clientIP(tt.remoteAddr); got != tt.want {
			t.Errorf("clientIP(%q) = %q, want %q", tt.remoteAddr, got, tt.want)
		}
	}
}

func TestTruncateUserAgent(t *testing.T) {
	tests := []struct{ ua, want string }{
		{"", ""},
		{"curl/8.0", "curl/8.0"},
		{strings.Repeat("a", maxUserAgent), strings.Repeat("a", maxUserAgent)},
		{strings.Repeat("a", maxUserAgent+1), strings.Repeat("a", maxUserAgent)},
		{strings.Repeat("a", maxUserAgent-1) + "é", strings.Repeat("a", maxUserAgent-1)}, // never cuts a character
		{"bad\xffbytes", "badbytes"},
	}
	for _, tt := range tests {
		if got := truncateUserAgent(tt.ua); got != tt.want {
			t.Errorf("truncateUserAgent(%q) = %q, want %q", tt.ua, got, tt.want)
		}
	}
}
