-- name: SetTenantID :exec
-- Scopes the running transaction to a tenant for the RLS policies
-- (app.current_tenant_id()). is_local = true: the setting ends with the
-- transaction, so a pooled connection never carries it into the next one.
-- The parameter is typed uuid, so only a well-formed id can be set.
SELECT set_config('app.tenant_id', sqlc.arg(tenant_id)::uuid::text, true);

-- name: SetUserID :exec
-- Lets the running transaction read one user's own memberships
-- (app.current_user_id()); transaction-local like SetTenantID.
SELECT set_config('app.user_id', sqlc.arg(user_id)::uuid::text, true);
