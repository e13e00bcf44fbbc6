// Package projects is the example domain component, written by
//
//	make table NAME=projects FIELDS="name:text!"
//
// and the shape of every component the generator writes: a Service with the
// table's operations, its errors (each declaring its problem response), and
// its JSON routes (Routes), wired in with one line in internal/app.
//
// Invariant: projects never holds a pool. Every query runs on
// tenancy.DB(ctx), the request's tenant transaction, so Postgres RLS scopes
// it; outside a tenant transaction every call fails closed. Its generated
// queries live in internal/projects/internal/projectsdb, which no other
// package can import. Every operation first checks the caller's role
// (tenancy.Require, 403 forbidden): every role reads, member and above
// create and edit, admin and above delete.
package projects
