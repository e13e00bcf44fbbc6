// Package httpapi is tenantkit's HTTP surface: NewServer wires middleware,
// routes.go lists every route of the platform (auth, sessions, tenants) and
// mounts the domain components' routes (Component), and handlers are
// functions returning an error (Handler).
//
// Domain components use its small public API: Router to add tenant-scoped
// routes, Decode and Respond for strict JSON, ParsePage and Paginate for
// cursor-paginated lists, PathID for ids in the path.
//
// Invariants:
//   - Errors become RFC 9457 application/problem+json in exactly one place
//     (writeError): field problems, else the *problem.Error the error wraps
//     (declared by the component that returned it), else 503 for an
//     unreachable dependency, else a generic 500. Internal detail is logged
//     once with the request id, never sent.
//   - Tenant-scoped handlers run inside tenancy.Manager.Run and their response
//     is buffered, so the transaction commits before any byte leaves.
package httpapi
