-- name: CreateUser :one
INSERT INTO users (email, name)
VALUES (@email, @name)
RETURNING id, email, name, created_at, disabled_at;

-- name: GetUserByID :one
SELECT id, email, name, created_at, disabled_at
FROM users
WHERE id = @id;

-- name: GetUserByEmail :one
SELECT id, email, name, created_at, disabled_at
FROM users
WHERE lower(email) = lower(@email);

-- name: DisableUser :execrows
UPDATE users
SET disabled_at = now()
WHERE id = @id AND disabled_at IS NULL;

-- name: CreatePasswordCredential :exec
INSERT INTO password_credentials (user_id, hash)
VALUES (@user_id, @hash);

-- name: UpdatePasswordHash :exec
UPDATE password_credentials
SET hash = @hash, updated_at = now()
WHERE user_id = @user_id;

-- name: GetPasswordLogin :one
SELECT u.id, u.email, u.name, u.created_at, u.disabled_at, c.hash
FROM users u
JOIN password_credentials c ON c.user_id = u.id
WHERE lower(u.email) = lower(@email);
