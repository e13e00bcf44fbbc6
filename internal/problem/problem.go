package problem

// Error is an error with the problem response it is answered with. Declare
// one per failure a caller can act on, as a package-level sentinel:
//
//	var ErrNotFound = problem.New(http.StatusNotFound, "not_found", "No such invoice.")
//
// and return it, or wrap it (fmt.Errorf("get invoice: %w", ErrNotFound)).
// errors.Is matches the sentinel also through WithDetail copies.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Code is the stable snake_case code clients switch on.
	Code string
	// Detail is the human-readable explanation sent to the client.
	Detail string

	base *Error // the sentinel a WithDetail copy was made from
}

// New returns a sentinel answered with status, code and detail.
func New(status int, code, detail string) *Error {
	return &Error{Status: status, Code: code, Detail: detail}
}

func (e *Error) Error() string { return e.Code + ": " + e.Detail }

// Is reports whether target is e or the sentinel e was made from.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && (t == e || t == e.base)
}

// WithDetail returns a copy of e that explains this occurrence (which rule a
// password broke, say) and still matches e with errors.Is. detail is sent to
// the client: never pass it the text of another error.
func (e *Error) WithDetail(detail string) *Error {
	base := e
	if e.base != nil {
		base = e.base
	}
	return &Error{Status: e.Status, Code: e.Code, Detail: detail, base: base}
}
