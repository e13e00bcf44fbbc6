-- name: UpsertInvitation :one
-- Invites an address to a tenant, or replaces the pending invitation of
-- that address (new token, role, inviter and expiry: the earlier link
-- dies). The lifetime is counted on the database's clock, like the expiry
-- check.
INSERT INTO invitations (tenant_id, email, role, token_hash, invited_by, expires_at)
VALUES (@tenant_id, @email, @role, @token_hash, @invited_by, now() + make_interval(secs => @ttl_seconds::int))
ON CONFLICT (tenant_id, lower(email)) DO UPDATE
SET email = excluded.email, role = excluded.role, token_hash = excluded.token_hash,
    invited_by = excluded.invited_by, created_at = now(), expires_at = excluded.expires_at
RETURNING id, email, role, invited_by, created_at, expires_at;

-- name: IsMemberByEmail :one
-- Whether the address belongs to a member of the tenant (enabled or not: a
-- disabled member is still one, and inviting them would not add them).
SELECT EXISTS (
    SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.tenant_id = @tenant_id AND lower(u.email) = lower(@email)
);

-- name: GetPendingInvitationRole :one
-- The role of the address's invitation to the tenant, expired or not (it
-- is replaced all the same), locked until the transaction ends.
SELECT role FROM invitations
WHERE tenant_id = @tenant_id AND lower(email) = lower(@email)
FOR UPDATE;

-- name: ListInvitations :many
-- The tenant's pending invitations, newest first. Run in a tenant
-- transaction: RLS shows the current tenant's only.
SELECT i.id, i.email, i.role, i.invited_by, i.created_at, i.expires_at
FROM invitations i
WHERE i.tenant_id = @tenant_id AND i.expires_at > now()
ORDER BY i.created_at DESC, i.id DESC
LIMIT @max_rows;

-- name: DeleteInvitation :one
-- Revokes a pending invitation of the tenant.
DELETE FROM invitations
WHERE tenant_id = @tenant_id AND id = @id
RETURNING email, role;

-- name: PeekInvitation :one
-- A live invitation and its tenant, without consuming it.
SELECT i.tenant_id, i.id, i.email, i.role, i.invited_by, t.slug, t.name AS tenant_name
FROM invitations i
JOIN tenants t ON t.id = i.tenant_id
WHERE i.token_hash = @token_hash AND i.expires_at > now();

-- name: ConsumeInvitation :one
-- Spends an invitation: the row is gone whatever happens next in the
-- caller's transaction, unless it rolls back. An expired one is deleted
-- too and reported as missing (no row).
WITH spent AS (
    DELETE FROM invitations
    WHERE token_hash = @token_hash
    RETURNING tenant_id, id, email, role, invited_by, expires_at
)
SELECT s.tenant_id, s.id, s.email, s.role, s.invited_by
FROM spent s
WHERE s.expires_at > now();

-- name: DeleteExpiredInvitations :execrows
DELETE FROM invitations
WHERE (tenant_id, id) IN (
    SELECT tenant_id, id FROM invitations WHERE expires_at <= now() LIMIT @batch
);
