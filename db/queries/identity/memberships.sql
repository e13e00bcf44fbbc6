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
