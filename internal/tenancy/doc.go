// Package tenancy decides which tenant a request acts in and runs the
// request's tenant-scoped queries inside one Postgres transaction that is
// bound to that tenant.
//
// Invariants:
//   - The tenant setting is transaction-local: Run's transaction opens with
//     BEGIN, set_config(…, true) of app.tenant_id (a parsed uuid) and
//     app.tenant_sig (its HMAC for this connection, database.ContextKey.Sign),
//     the membership check and the handler's first statement, pipelined in
//     one round trip, so a pooled connection never carries one request's
//     tenant into the next.
//   - The tenant is unforgeable from SQL: app.current_tenant_id() trusts the
//     id only with a signature that verifies, and Run's pool connects as the
//     tenant login role, which reaches tenant tables and nothing else, so
//     SQL inside the transaction (injected or not) can neither move to
//     another tenant nor step out to identity's tables.
//   - A tenant is honoured only when the user is an enabled member of it; a
//     tenant the caller may not see fails exactly like one that does not exist
//     (ErrTenantNotFound). The one exception is RunAsAdmin, the explicit,
//     named opt-in of a platform admin, which acts with the admin role and
//     records platform.admin_access in the tenant's audit log in the same
//     transaction. An API key (RunAsKey) is no member: its check is that
//     the key still exists in the tenant, and it acts with its own role.
//     The check fails with an error, not an empty
//     result, so Postgres skips the rest of its pipeline: no statement of a
//     request that fails it runs, not even the one sent with it.
//   - Tenant tables are reached only through DB(ctx), which is the tenant
//     transaction; without one it fails every call (ErrNoTenant). Domain
//     packages never hold a pool.
//   - What a member may do is one table, role by role (permissions.go).
//     Require(ctx, p) checks it at the top of an operation and fails
//     closed: ErrForbidden for a role without p, an error outside Run.
//   - Audit(ctx, …) records what the caller did in the tenant's audit log
//     with the transaction's COMMIT: an event exists exactly when the
//     change it records committed. The log is append-only for the tenant
//     role (SELECT and INSERT), so no tenant transaction can rewrite it.
package tenancy
