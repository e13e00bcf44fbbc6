// Package validation carries field-level input problems from the layer that
// checks them to the HTTP layer, which renders them in a problem response.
// It also holds the one rule for human-readable text (CleanText), so user,
// tenant and project names refuse the same characters.
package validation

import "strings"

// FieldError says what is wrong with one input field.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Errors is a non-empty list of field problems; it is an error.
type Errors []FieldError

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Detail
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a problem with field.
func (e *Errors) Add(field, detail string) { *e = append(*e, FieldError{Field: field, Detail: detail}) }

// Err returns e as an error, or nil when there are no problems.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}
