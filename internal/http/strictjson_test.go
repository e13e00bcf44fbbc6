package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/problem"
)

func TestDecodeStrict(t *testing.T) {
	type body struct {
		Name string `json:"name"`
		Tags []struct {
			Key string `json:"key"`
		} `json:"tags"`
	}
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"plain", `{"name":"x"}`, false},
		{"literal replacement character is fine", `{"name":"a\uFFFDb ` + "\uFFFD" + `"}`, false},
		{"valid surrogate pair", `{"name":"\ud83d\ude00"}`, false},
		{"escaped backslash before u", `{"name":"\\ud800"}`, false},
		{"nested objects may reuse names", `{"name":"x","tags":[{"key":"a"},{"key":"b"}]}`, false},
		{"lone high surrogate", `{"name":"\ud800"}`, true},
		{"lone low surrogate", `{"name":"x\udc00y"}`, true},
		{"reversed pair", `{"name":"\ude00\ud83d"}`, true},
		{"duplicate field", `{"name":"a","name":"b"}`, true},
		{"duplicate nested field", `{"tags":[{"key":"a","key":"b"}]}`, true},
		{"wrong case", `{"Name":"x"}`, true},
		{"unknown field", `{"nom":"x"}`, true},
		{"two values", `{"name":"x"} {"name":"y"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.in))
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
			var v body
			err := Decode(r, &v)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode(%s) = %v, want error: %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				if he, ok := errors.AsType[*problem.Error](err); !ok || he.Status != http.StatusBadRequest || he.Code != "invalid_json" {
					t.Errorf("error = %#v, want 400 invalid_json", err)
				}
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"name":"x"}`, `{"name":"\ud800"}`, `{"tags":[{"key":"a"}]}`, `[]`, `{"name":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(in))
		r.Header.Set("Content-Type", "application/json")
		var v struct {
			Name string `json:"name"`
		}
		err := Decode(r, &v)
		if err == nil && strings.ContainsRune(v.Name, '\uFFFD') && !strings.ContainsRune(in, '\uFFFD') && !strings.Contains(strings.ToLower(in), `\ufffd`) {
			t.Errorf("Decode(%q) accepted a name with a replacement character: %q", in, v.Name)
		}
		if err != nil {
			if he, ok := errors.AsType[*problem.Error](err); !ok || he.Status >= 500 {
				t.Errorf("Decode(%q) = %v, want a 4xx problem", in, err)
			}
		}
	})
}
