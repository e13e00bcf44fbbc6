// Package database opens tenantkit's Postgres pools, applies the embedded
// migrations and guards the runtime role.
//
// Invariant: the server's runtime pool connects as a role that is not a
// superuser, has no BYPASSRLS and owns (and can become the owner of) no table
// under row-level security; CheckRuntimeRole refuses to hand out a pool that
// breaks this, because such a role silently bypasses every RLS policy.
package database
