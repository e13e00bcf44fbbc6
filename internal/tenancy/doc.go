// Package tenancy decides which tenant a request acts in and runs the
// request's tenant-scoped queries inside one Postgres transaction that is
// bound to that tenant.
//
// Invariants:
//   - The tenant setting is transaction-local: Run begins a transaction whose
//     first statement is set_config('app.tenant_id', <validated uuid>, true)
//     (sent in the same round trip as BEGIN), so a pooled connection never
//     carries one request's tenant into the next, whatever happens.
//   - A tenant is honoured only when the user is an enabled member of it; a
//     tenant the caller may not see fails exactly like one that does not exist
//     (ErrTenantNotFound).
//   - Tenant tables are reached only through DB(ctx), which is the tenant
//     transaction; without one it fails every call (ErrNoTenant). Domain
//     packages never hold a pool.
package tenancy
