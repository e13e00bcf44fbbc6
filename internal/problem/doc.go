// Package problem lets a component say how its errors are answered over
// HTTP, next to the errors themselves: a sentinel declared with New carries
// its status and stable code, and the HTTP layer renders any error that wraps
// one as an RFC 9457 problem response.
//
// Invariant: the text a client sees comes only from an Error's fields, never
// from err.Error() of a wrapped cause, so driver and internal messages are
// never sent.
package problem
