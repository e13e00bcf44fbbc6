// Package projects is the example domain component: the place a fork's own
// product code goes. Copy its shape for every tenant table you add.
//
// Invariant: projects never holds a pool. Every query runs on
// tenancy.DB(ctx), the request's tenant transaction, so Postgres RLS scopes
// it; outside a tenant transaction every call fails closed.
package projects
