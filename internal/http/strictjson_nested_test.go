package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/problem"
)

// TestDecodeRefusesNestedUnknownFields: an unknown field is refused at any
// depth, not only at the top level: inside a nested object, an object in
// an array, and an object behind a pointer. (checkStrictJSON checks names
// at the top level only; deeper ones rely on the decoder's
// DisallowUnknownFields.)
func TestDecodeRefusesNestedUnknownFields(t *testing.T) {
	type item struct {
		Key string `json:"key"`
	}
	type body struct {
		Name   string `json:"name"`
		Owner  item   `json:"owner"`
		Items  []item `json:"items"`
		Parent *item  `json:"parent"`
	}
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"known fields at every depth", `{"name":"x","owner":{"key":"a"},"items":[{"key":"b"}],"parent":{"key":"c"}}`, false},
		{"unknown field in a nested object", `{"name":"x","owner":{"key":"a","role":"admin"}}`, true},
		{"unknown field in an object in an array", `{"items":[{"key":"a"},{"key":"b","admin":true}]}`, true},
		{"unknown field behind a pointer", `{"parent":{"key":"a","tenant_id":"x"}}`, true},
		{"unknown nested object", `{"owner":{"key":"a","extra":{"key":"b"}}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.in))
			r.Header.Set("Content-Type", "application/json")
			var v body
			err := Decode(r, &v)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode(%s) = %v, want error: %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				if pe, ok := errors.AsType[*problem.Error](err); !ok || pe.Status != http.StatusBadRequest || pe.Code != "invalid_json" {
					t.Errorf("Decode(%s) = %#v, want 400 invalid_json", tt.in, err)
				}
			}
		})
	}
}
