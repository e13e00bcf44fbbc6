// Package httpapi is tenantkit's HTTP surface: NewServer wires middleware,
// routes.go lists every route, and handlers are maker functions returning a
// Handler (an http handler that returns an error).
//
// Invariants:
//   - Errors become RFC 9457 application/problem+json in exactly one place
//     (writeError): a typed *Error, else the sentinel table, else a generic
//     500. Internal detail is logged once with the request id, never sent.
//   - Tenant-scoped handlers run inside tenancy.Manager.Run and their response
//     is buffered, so the transaction commits before any byte leaves.
package httpapi
