-- Platform administration (issue 10): operators mark platform admins;
-- platform admins search tenants and users and disable or enable users.

-- name: GrantPlatformAdmin :exec
-- Granting twice keeps the first grant's time.
INSERT INTO platform_admins (user_id)
VALUES (@user_id)
ON CONFLICT (user_id) DO NOTHING;

-- name: RevokePlatformAdmin :execrows
DELETE FROM platform_admins
WHERE user_id = @user_id;

-- name: IsPlatformAdmin :one
-- Only an enabled user counts.
SELECT EXISTS (
    SELECT FROM platform_admins a
    JOIN users u ON u.id = a.user_id
    WHERE a.user_id = @user_id AND u.disabled_at IS NULL
) AS admin;

-- name: SetUserDisabled :one
-- Disables (disable) or enables the user and says whether they were
-- disabled before, so that only a change is recorded. Disabling twice keeps
-- the first time. No row: no such user.
UPDATE users u
SET disabled_at = CASE WHEN @disable::boolean THEN coalesce(old.disabled_at, now()) END
FROM (SELECT o.id, o.disabled_at FROM users o WHERE o.id = @id FOR UPDATE) old
WHERE u.id = old.id
RETURNING (old.disabled_at IS NOT NULL)::boolean AS was_disabled;

-- name: AdminSearchTenants :many
-- Tenants whose slug or name contains query (any letter case) or whose id
-- is query, newest first, with their member count. The page starts after
-- the cursor's row when has_cursor.
SELECT t.id, t.slug, t.name, t.created_at,
       (SELECT count(*) FROM memberships m WHERE m.tenant_id = t.id)::bigint AS members
FROM tenants t
WHERE (@query::text = ''
       OR strpos(lower(t.slug), lower(@query::text)) > 0
       OR strpos(lower(t.name), lower(@query::text)) > 0
       OR t.id::text = lower(@query::text))
  AND (NOT @has_cursor::boolean OR (t.created_at, t.id) < (@before_created_at::timestamptz, @before_id::uuid))
ORDER BY t.created_at DESC, t.id DESC
LIMIT @max_rows;

-- name: AdminSearchUsers :many
-- Users whose email or name contains query (any letter case) or whose id
-- is query, newest first. The page starts after the cursor's row when
-- has_cursor.
SELECT u.id, u.email, u.name, u.created_at, u.disabled_at, u.email_verified_at,
       EXISTS (SELECT FROM platform_admins a WHERE a.user_id = u.id) AS platform_admin
FROM users u
WHERE (@query::text = ''
       OR strpos(lower(u.email), lower(@query::text)) > 0
       OR strpos(lower(u.name), lower(@query::text)) > 0
       OR u.id::text = lower(@query::text))
  AND (NOT @has_cursor::boolean OR (u.created_at, u.id) < (@before_created_at::timestamptz, @before_id::uuid))
ORDER BY u.created_at DESC, u.id DESC
LIMIT @max_rows;
