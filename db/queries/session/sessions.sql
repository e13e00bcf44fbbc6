-- name: FindSession :one
SELECT data
FROM sessions
WHERE token_hash = @token_hash AND expires_at > now();

-- name: UpsertSession :exec
INSERT INTO sessions (token_hash, user_id, data, expires_at)
VALUES (@token_hash, @user_id, @data, @expires_at)
ON CONFLICT (token_hash) DO UPDATE
SET user_id = EXCLUDED.user_id, data = EXCLUDED.data, expires_at = EXCLUDED.expires_at;

-- name: TouchSession :execrows
-- Rewrites a live session's data and expiry. Unlike UpsertSession it never
-- creates a row, so a touch racing a revocation cannot bring the session back.
UPDATE sessions
SET data = @data, expires_at = @expires_at
WHERE token_hash = @token_hash AND expires_at > now();

-- name: RotateSession :execrows
-- Moves a live session to a new token hash, in place and only if it still
-- exists: a tenant switch racing a revocation either loses (no row) or is
-- deleted with it, because a concurrent DELETE re-checks the updated row.
UPDATE sessions
SET token_hash = @new_token_hash, user_id = @user_id, data = @data, expires_at = @expires_at
WHERE token_hash = @old_token_hash AND expires_at > now();

-- name: DeleteSession :exec
DELETE FROM sessions
WHERE token_hash = @token_hash;

-- name: DeleteUserSession :execrows
-- Deletes one session, only if it belongs to user_id.
DELETE FROM sessions
WHERE user_id = @user_id AND token_hash = @token_hash;

-- name: ListUserSessions :many
SELECT token_hash, data, expires_at
FROM sessions
WHERE user_id = @user_id AND expires_at > now()
ORDER BY expires_at DESC
LIMIT @max_sessions;

-- name: DeleteUserSessions :execrows
-- Deletes every session of a user except the one whose hash is keep (pass
-- an empty hash to delete them all), and every token family of the user
-- except keep_family (pass the nil uuid to delete them all), with their
-- tokens, in one statement.
WITH families AS (
    DELETE FROM token_families
    WHERE token_families.user_id = @family_user_id AND token_families.id <> @keep_family
)
DELETE FROM sessions
WHERE sessions.user_id = @user_id AND sessions.token_hash <> @keep;

-- name: DeleteExpiredSessions :execrows
-- Deletes at most batch_size expired sessions, so cleanup never holds long locks.
DELETE FROM sessions
WHERE token_hash IN (
    SELECT s.token_hash
    FROM sessions s
    WHERE s.expires_at <= now()
    LIMIT @batch_size
);
