-- name: InsertSecurityEvent :exec
INSERT INTO security_events (user_id, kind, ip, user_agent, request_id)
VALUES (@user_id, @kind, @ip, @user_agent, @request_id);

-- name: ListSecurityEvents :many
-- Newest first; the page starts after the cursor's row when has_cursor.
SELECT id, kind, ip, user_agent, request_id, created_at
FROM security_events
WHERE user_id = @user_id
  AND (NOT @has_cursor::boolean OR (created_at, id) < (@before_created_at::timestamptz, @before_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @max_rows;

-- name: DeleteOldSecurityEvents :execrows
DELETE FROM security_events
WHERE id IN (
    SELECT id FROM security_events WHERE created_at < now() - make_interval(days => @keep_days::int) LIMIT @batch
);
