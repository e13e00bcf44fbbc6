-- name: LookupAPIKey :one
-- Request auth: a key by its id, across tenants (the runtime pool). Ids
-- are random, so there is one.
SELECT tenant_id, role, secret_hash, created_by, expires_at, last_used_at
FROM api_keys
WHERE id = @id
LIMIT 1;

-- name: TouchAPIKey :exec
-- Stamps a key's last use, at most once a minute.
UPDATE api_keys
SET last_used_at = now()
WHERE tenant_id = @tenant_id AND id = @id
  AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- name: LockTenantAPIKeys :exec
-- Serialises the creations of one tenant's keys until the transaction
-- ends, so that concurrent ones cannot all pass the cap's count.
SELECT pg_advisory_xact_lock(hashtext('tenantkit api keys'), hashtext(sqlc.arg(tenant_id)::uuid::text));

-- name: CountAPIKeys :one
SELECT count(*)::int FROM api_keys WHERE tenant_id = @tenant_id;

-- name: CreateAPIKey :one
-- On the runtime pool, once the tenant transaction has authorised it.
INSERT INTO api_keys (tenant_id, id, name, role, secret_hash, created_by, expires_at)
VALUES (@tenant_id, @id, @name, @role, @secret_hash, @created_by, sqlc.narg(expires_at))
RETURNING created_at;

-- name: ListAPIKeys :many
-- In the tenant's transaction: its keys, newest first.
SELECT id, name, role, created_by, created_at, last_used_at, expires_at
FROM api_keys
WHERE tenant_id = @tenant_id
ORDER BY created_at DESC, id DESC
LIMIT @max_rows;

-- name: DeleteAPIKey :one
-- On the runtime pool, once the tenant transaction has authorised it.
DELETE FROM api_keys
WHERE tenant_id = @tenant_id AND id = @id
RETURNING name, role;

-- name: RecordAPIKeyEvent :exec
-- api_key.created and api_key.revoked, in the transaction of the change
-- (the runtime role may insert these actions, and read no event).
INSERT INTO audit_events (tenant_id, actor, action, target, detail, request_id, ip)
VALUES (@tenant_id, @actor, @action, @target, @detail, @request_id, @ip);
