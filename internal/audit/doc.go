// Package audit serves the tenant audit log (issue 10): GET
// /api/audit-events, newest first, a page at a time, for roles that hold
// tenancy.PermReadAudit (admin and above).
//
// Events are written elsewhere, each in the transaction of the change it
// records: by domain code with tenancy.Audit (in the tenant transaction,
// with its COMMIT), and by identity for the membership changes it makes on
// its own pool. This package only reads them.
//
// Invariant: audit never holds a pool. Its one query runs on
// tenancy.DB(ctx), the request's tenant transaction, so RLS shows the
// current tenant's events only; the tenant role may insert and read
// audit_events, never change or delete them.
package audit
