-- name: CreateAccountToken :exec
-- The lifetime is counted on the database's clock, like the expiry check.
INSERT INTO account_tokens (token_hash, purpose, user_id, email, password_hash, expires_at)
VALUES (@token_hash, @purpose, @user_id, @email, sqlc.narg(password_hash), now() + make_interval(secs => @ttl_seconds::int));

-- name: DeleteUserTokens :exec
-- Voids a user's outstanding tokens of one purpose: a new link replaces the
-- old ones.
DELETE FROM account_tokens
WHERE user_id = @user_id AND purpose = @purpose;

-- name: DeleteAllUserTokens :exec
-- Voids every outstanding link of a user: a password reset or change ends
-- whatever someone holding an old mail could still do.
DELETE FROM account_tokens
WHERE user_id = @user_id;

-- name: PeekAccountToken :one
-- A live token and its user, without consuming it: the caller checks the
-- request against the user (a new password against their name) before it
-- spends the token with ConsumeAccountToken.
SELECT t.user_id, t.email AS token_email, u.email, u.name, u.disabled_at
FROM account_tokens t
JOIN users u ON u.id = t.user_id
WHERE t.token_hash = @token_hash AND t.purpose = @purpose AND t.expires_at > now();

-- name: ConsumeAccountToken :one
-- Spends a token: the row is gone whatever happens next in the caller's
-- transaction, unless it rolls back. An expired token is deleted too and
-- reported as missing (no row).
WITH spent AS (
    DELETE FROM account_tokens
    WHERE token_hash = @token_hash AND purpose = @purpose
    RETURNING user_id, email, password_hash, expires_at
)
SELECT s.user_id, s.email AS token_email, s.password_hash AS token_password_hash, u.email, u.name, u.disabled_at
FROM spent s
JOIN users u ON u.id = s.user_id
WHERE s.expires_at > now();

-- name: DeleteExpiredAccountTokens :execrows
DELETE FROM account_tokens
WHERE token_hash IN (
    SELECT token_hash FROM account_tokens WHERE expires_at <= now() LIMIT @batch
);

-- name: MarkEmailVerified :execrows
-- Only while the address is still the one the token was mailed to, and
-- not verified yet: no row when it was (a second link is spent for
-- nothing).
UPDATE users
SET email_verified_at = now()
WHERE id = @id AND lower(email) = lower(@email) AND disabled_at IS NULL AND email_verified_at IS NULL;

-- name: CurrentPasswordHash :one
SELECT hash FROM password_credentials WHERE user_id = @user_id;

-- name: DeletePasswordCredential :exec
DELETE FROM password_credentials WHERE user_id = @user_id;

-- name: ChangeEmail :execrows
UPDATE users
SET email = @email, email_verified_at = now()
WHERE id = @id AND disabled_at IS NULL;

-- name: SetPasswordHash :exec
-- Sets or replaces a user's password.
INSERT INTO password_credentials (user_id, hash)
VALUES (@user_id, @hash)
ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = now();

-- name: GetPasswordHash :one
SELECT c.hash
FROM password_credentials c
JOIN users u ON u.id = c.user_id
WHERE c.user_id = @user_id AND u.disabled_at IS NULL;

-- name: CreateUserIfNew :one
-- The new user, or no row when the address is taken (in any letter case):
-- sign-up in verify mode must not tell the two apart by an error.
INSERT INTO users (email, name)
VALUES (@email, @name)
ON CONFLICT (lower(email)) DO NOTHING
RETURNING id, email, name, created_at, disabled_at, email_verified_at;

-- name: SetEmailVerified :execrows
UPDATE users
SET email_verified_at = coalesce(email_verified_at, now())
WHERE id = @id;
