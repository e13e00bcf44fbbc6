-- name: CreateUser :one
INSERT INTO users (email, name)
VALUES (@email, @name)
RETURNING id, email, name, created_at, disabled_at, email_verified_at;

-- name: GetUserByID :one
SELECT id, email, name, created_at, disabled_at, email_verified_at
FROM users
WHERE id = @id;

-- name: GetUserByEmail :one
SELECT id, email, name, created_at, disabled_at, email_verified_at
FROM users
WHERE lower(email) = lower(@email);

-- name: LockEnabledUser :one
-- The id of an enabled user, locked FOR SHARE until the transaction ends: a
-- concurrent DisableUser waits for the transaction, so what it creates for
-- the user (a tenant they own) commits while they are enabled. No row when
-- the user is missing or disabled.
SELECT id, email_verified_at
FROM users
WHERE id = @id AND disabled_at IS NULL
FOR SHARE;

-- name: CreatePasswordCredential :exec
INSERT INTO password_credentials (user_id, hash)
VALUES (@user_id, @hash);

-- name: UpdatePasswordHash :exec
UPDATE password_credentials
SET hash = @hash, updated_at = now()
WHERE user_id = @user_id;

-- name: RehashPassword :execrows
-- Replaces a hash with one under new parameters only if it is still the hash
-- the login verified, so a concurrent password change is never overwritten.
UPDATE password_credentials
SET hash = @new_hash, updated_at = now()
WHERE user_id = @user_id AND hash = @old_hash;

-- name: GetPasswordLogin :one
SELECT u.id, u.email, u.name, u.created_at, u.disabled_at, u.email_verified_at, c.hash
FROM users u
JOIN password_credentials c ON c.user_id = u.id
WHERE lower(u.email) = lower(@email);

-- name: GetCaller :one
-- The user and, when they are an enabled member of tenant_id, that tenant
-- and their role in it (NULLs otherwise): all a request needs to know about
-- its caller, in one statement.
SELECT u.id, u.email, u.name, u.created_at, u.disabled_at, u.email_verified_at,
       t.id AS tenant_id, t.slug AS tenant_slug, t.name AS tenant_name, t.created_at AS tenant_created_at, m.role
FROM users u
LEFT JOIN memberships m ON m.user_id = u.id AND m.tenant_id = sqlc.narg(tenant_id)::uuid AND u.disabled_at IS NULL
LEFT JOIN tenants t ON t.id = m.tenant_id
WHERE u.id = @id;
