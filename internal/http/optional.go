package httpapi

import (
	"bytes"
	"encoding/json"
)

// Optional is a field of a PATCH body that may be left out, set to null or
// set to a value, for a column that may be null: a *T cannot tell "leave it
// as it is" (absent) from "clear it" (null). Set is true when the body has
// the field; Value is then nil for null.
//
//	type Patch struct {
//		Note httpapi.Optional[string] `json:"note,omitzero"`
//	}
//
// and in SQL, `note = CASE WHEN @set_note::boolean THEN sqlc.narg(note)
// ELSE note END` with SetNote: p.Note.Set, Note: p.Note.Value.
type Optional[T any] struct {
	Set   bool
	Value *T
}

// Set returns an Optional set to v.
func Set[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: &v} }

// Null returns an Optional set to null.
func Null[T any]() Optional[T] { return Optional[T]{Set: true} }

// UnmarshalJSON records that the field is present, and its value or null.
// encoding/json calls it only for a field the body has, null included.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*o = Optional[T]{Set: true}
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = Optional[T]{Set: true, Value: &v}
	return nil
}

// IsZero reports whether the field is absent, so that a struct field
// tagged `json:",omitzero"` is left out of JSON when it is not Set.
func (o Optional[T]) IsZero() bool { return !o.Set }

// MarshalJSON writes the value, or null. A field that is not Set is written
// as null too unless its tag says omitzero, as generated Patch types do.
func (o Optional[T]) MarshalJSON() ([]byte, error) {
	if o.Value == nil {
		return []byte("null"), nil
	}
	return json.Marshal(*o.Value)
}
