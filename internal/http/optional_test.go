package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/problem"
)

type optionalPatch struct {
	Note  Optional[string] `json:"note,omitzero"`
	Count Optional[int64]  `json:"count,omitzero"`
}

func TestOptionalDecode(t *testing.T) {
	tests := []struct {
		body string
		want optionalPatch
	}{
		{`{}`, optionalPatch{}},
		{`{"note": null}`, optionalPatch{Note: Null[string]()}},
		{`{"note": "x", "count": 0}`, optionalPatch{Note: Set("x"), Count: Set(int64(0))}},
		{`{"count": null, "note": ""}`, optionalPatch{Note: Set(""), Count: Null[int64]()}},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPatch, "/", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/json")
		var got optionalPatch
		if err := Decode(r, &got); err != nil {
			t.Errorf("Decode(%s): %v", tt.body, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Decode(%s) (-want +got):\n%s", tt.body, diff)
		}
	}
}

func TestOptionalDecodeRefuses(t *testing.T) {
	for body, detail := range map[string]string{
		`{"count": "1"}`:              `Field "count" has the wrong type.`,
		`{"note": 1}`:                 `Field "note" has the wrong type.`,
		`{"note": null, "note": "x"}`: "The request body repeats a field.",
		`{"Note": "x"}`:               "The request body has an unknown field (field names are case-sensitive).",
	} {
		r := httptest.NewRequest(http.MethodPatch, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var got optionalPatch
		err := Decode(r, &got)
		if pe, ok := errors.AsType[*problem.Error](err); !ok || pe.Status != http.StatusBadRequest || pe.Code != "invalid_json" {
			t.Errorf("Decode(%s) = %v, want 400 invalid_json", body, err)
		} else if pe.Detail != detail {
			t.Errorf("Decode(%s): detail %q, want %q", body, pe.Detail, detail)
		}
	}
}

func TestOptionalEncode(t *testing.T) {
	for _, tt := range []struct {
		in   optionalPatch
		want string
	}{
		{optionalPatch{}, `{}`},
		{optionalPatch{Note: Null[string]()}, `{"note":null}`},
		{optionalPatch{Note: Set("x"), Count: Set(int64(2))}, `{"note":"x","count":2}`},
	} {
		b, err := json.Marshal(tt.in)
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.in, b, err, tt.want)
		}
	}
}
