-- Bearer-token families (see internal/session/tokens.go). Every query takes
-- the time as @now from the Manager's clock, so that a family's idle and
-- absolute expiry and the grace window are judged by one clock; only the
-- cleanup uses the database's.

-- name: CreateTokenFamily :exec
-- Stores a new family with its first refresh and access tokens.
WITH f AS (
    INSERT INTO token_families (id, user_id, current_tenant, refresh_hash, access_hash, created_at, last_seen_at, idle_expires_at, expires_at, ip, user_agent)
    VALUES (@id, @user_id, @current_tenant, @refresh_hash, @access_hash, @now, @now, @idle_expires_at, @expires_at, @ip, @user_agent)
    RETURNING id, user_id, current_tenant
), r AS (
    INSERT INTO refresh_tokens (token_hash, family_id)
    SELECT @refresh_hash::bytea, f.id FROM f
)
INSERT INTO access_tokens (token_hash, family_id, user_id, current_tenant, expires_at)
SELECT @access_hash::bytea, f.id, f.user_id, f.current_tenant, @access_expires_at::timestamptz FROM f;

-- name: LookupAccessToken :one
SELECT user_id, current_tenant, expires_at
FROM access_tokens
WHERE token_hash = @token_hash AND family_id = @family_id AND expires_at > @now;

-- name: RotateRefreshToken :one
-- Rotates a live family whose current refresh token is @presented_hash:
-- the presented one becomes the previous, @next_hash the current, and the
-- new access token is stored; idle expiry moves to @idle_expires_at, never
-- beyond the absolute expiry; the family's access tokens older than its
-- newest end. No row: the presented token is not the
-- current one of a live family (SettleRefreshToken says what it is).
-- Concurrent rotations of one token serialise on the row: the loser
-- re-checks refresh_hash after the winner commits and updates nothing.
WITH prior AS (
    -- The statement's snapshot: the access token that was newest before
    -- this rotation (a concurrent winner leaves f empty, and d does nothing).
    SELECT tf.access_hash FROM token_families tf WHERE tf.id = @family_id
), f AS (
    UPDATE token_families t
    SET previous_hash = t.refresh_hash, refresh_hash = @next_hash, access_hash = @access_hash, rotated_at = @now::timestamptz, last_seen_at = @now::timestamptz,
        idle_expires_at = LEAST(@idle_expires_at::timestamptz, t.expires_at)
    WHERE t.id = @family_id AND t.refresh_hash = @presented_hash AND t.idle_expires_at > @now AND t.expires_at > @now
    RETURNING t.id, t.user_id, t.current_tenant, t.expires_at
), r AS (
    INSERT INTO refresh_tokens (token_hash, family_id)
    SELECT @next_hash::bytea, f.id FROM f
), a AS (
    INSERT INTO access_tokens (token_hash, family_id, user_id, current_tenant, expires_at)
    SELECT @access_hash::bytea, f.id, f.user_id, f.current_tenant, LEAST(@access_expires_at::timestamptz, f.expires_at) FROM f
), d AS (
    -- The family keeps its newest access token from before (requests in
    -- flight with it still work) and the new one; older ones end, so a
    -- family holds two at most, however often it is refreshed. (The
    -- statement's snapshot does not see the insert above.)
    DELETE FROM access_tokens
    WHERE family_id = @family_id AND EXISTS (SELECT FROM f)
      AND token_hash <> (SELECT prior.access_hash FROM prior)
)
SELECT f.user_id, f.current_tenant, f.expires_at FROM f;

-- name: SettleRefreshToken :one
-- Judges a refresh token that RotateRefreshToken did not rotate. No row: the
-- family does not know it (never issued, or the family is gone). in_grace:
-- it is the previous token, rotated after @grace_start, of a live family;
-- nothing is written and the caller re-derives the same successor. Any
-- other token the family issued (an older one, the previous one after the
-- grace window, or any token of an expired family) deletes the family,
-- with its tokens, in this statement: reuse is committed although the
-- request fails. A current token of a live family (possible only if it
-- was not current a moment ago, which rotation never allows) is left alone.
WITH fam AS (
    SELECT f.id, f.user_id, f.current_tenant, f.rotated_at, f.expires_at,
           (f.idle_expires_at > @now AND f.expires_at > @now)::boolean AS alive,
           (f.refresh_hash = @presented_hash)::boolean AS is_current,
           COALESCE(f.previous_hash = @presented_hash AND f.rotated_at > @grace_start::timestamptz, false)::boolean AS is_recent
    FROM token_families f
    WHERE f.id = @family_id
      AND EXISTS (SELECT FROM refresh_tokens r WHERE r.token_hash = @presented_hash AND r.family_id = f.id)
), killed AS (
    DELETE FROM token_families t
    USING fam
    WHERE t.id = fam.id AND NOT (fam.alive AND (fam.is_current OR fam.is_recent))
    RETURNING t.id
)
SELECT fam.user_id, fam.current_tenant, fam.rotated_at, fam.expires_at, fam.alive::boolean AS alive,
       fam.is_current::boolean AS is_current, (fam.alive AND fam.is_recent)::boolean AS in_grace
FROM fam;

-- name: RevokeTokenFamily :execrows
-- Deletes the family @family_id if it issued the token with hash
-- @token_hash, refresh or access.
DELETE FROM token_families f
WHERE f.id = @family_id
  AND (EXISTS (SELECT FROM refresh_tokens r WHERE r.token_hash = @token_hash AND r.family_id = f.id)
    OR EXISTS (SELECT FROM access_tokens a WHERE a.token_hash = @token_hash AND a.family_id = f.id));

-- name: ListUserTokenFamilies :many
SELECT id, current_tenant, created_at, last_seen_at, idle_expires_at, expires_at, ip, user_agent
FROM token_families
WHERE user_id = @user_id AND idle_expires_at > @now AND expires_at > @now
ORDER BY last_seen_at DESC
LIMIT @max_families;

-- name: DeleteUserTokenFamily :execrows
-- Deletes one family, only if it belongs to user_id.
DELETE FROM token_families
WHERE user_id = @user_id AND id = @id;

-- name: DeleteExpiredTokenFamilies :execrows
-- Deletes at most batch_size expired families with their tokens.
DELETE FROM token_families
WHERE id IN (
    SELECT f.id
    FROM token_families f
    WHERE f.idle_expires_at <= now()
    LIMIT @batch_size
);

-- name: DeleteExpiredAccessTokens :execrows
-- Deletes at most batch_size expired access tokens of live families.
DELETE FROM access_tokens
WHERE token_hash IN (
    SELECT a.token_hash
    FROM access_tokens a
    WHERE a.expires_at <= now()
    LIMIT @batch_size
);
