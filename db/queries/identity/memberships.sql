-- name: CreateMembership :exec
INSERT INTO memberships (tenant_id, user_id, role)
VALUES (@tenant_id, @user_id, @role);

-- name: GetMemberTenantID :one
-- The id of the tenant that the id or the slug names (pass one, the other
-- NULL), only when the user is an enabled member of it: one statement both
-- resolves and checks, so a tenant that exists elsewhere and one that
-- exists nowhere cost the same and answer the same (no row). The OR spans
-- both tables, so the plan starts from the user's memberships, never from
-- the slug.
SELECT m.tenant_id
FROM memberships m
JOIN tenants t ON t.id = m.tenant_id
JOIN users u ON u.id = m.user_id
WHERE m.user_id = @user_id AND u.disabled_at IS NULL
  AND (m.tenant_id = sqlc.narg(tenant_id)::uuid OR t.slug = sqlc.narg(slug)::text);

-- name: ListUserTenants :many
-- A disabled user has no effective memberships, as in app.member_role.
SELECT t.id, t.slug, t.name, t.created_at, m.role
FROM memberships m
JOIN tenants t ON t.id = m.tenant_id
JOIN users u ON u.id = m.user_id
WHERE m.user_id = @user_id AND u.disabled_at IS NULL
ORDER BY t.name, t.id
LIMIT @max_rows;

-- name: ListTenantMembers :many
-- Enabled members only: a disabled user is no longer effectively a member
-- (app.member_role refuses them).
SELECT u.id, u.email, u.name, m.role
FROM memberships m
JOIN users u ON u.id = m.user_id
WHERE m.tenant_id = @tenant_id AND u.disabled_at IS NULL
ORDER BY lower(u.email), u.id
LIMIT @max_rows;

-- name: DeleteMembership :execrows
DELETE FROM memberships
WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: LockTenant :one
-- Serializes a tenant's membership changes that can take an owner away,
-- and its renames and transfers: each takes this lock first, then reads
-- roles and counts owners, so two concurrent demotions of two owners
-- cannot both see the other still there. It returns the row as it is
-- under the lock (a rename records what it was).
SELECT id, slug, name, created_at FROM tenants WHERE id = @id FOR NO KEY UPDATE;

-- name: GetMemberRole :one
-- An enabled member's role (a disabled user is no effective member).
SELECT m.role
FROM memberships m
JOIN users u ON u.id = m.user_id
WHERE m.tenant_id = @tenant_id AND m.user_id = @user_id AND u.disabled_at IS NULL;

-- name: CountOwners :one
-- Enabled owners only: a disabled owner cannot act for the tenant.
SELECT count(*)::int
FROM memberships m
JOIN users u ON u.id = m.user_id
WHERE m.tenant_id = @tenant_id AND m.role = 'owner' AND u.disabled_at IS NULL;

-- name: UpdateMembershipRole :execrows
UPDATE memberships SET role = @role
WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: CreateAuditEvent :exec
-- Identity records the membership changes it makes, in their transaction
-- (the runtime group may insert into the audit log, never read it).
INSERT INTO audit_events (tenant_id, actor, action, target, detail, request_id, ip)
VALUES (@tenant_id, @actor, @action, @target, @detail, @request_id, @ip);
