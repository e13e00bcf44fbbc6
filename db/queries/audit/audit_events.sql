-- name: ListAuditEvents :many
-- Newest first. The page starts after the cursor's row when has_cursor;
-- action and actor filter when not NULL.
SELECT id, actor, api_key_id, action, target, detail, request_id, ip, created_at
FROM audit_events
WHERE tenant_id = @tenant_id
  AND (NOT @has_cursor::boolean OR (created_at, id) < (@before_created_at::timestamptz, @before_id::uuid))
  AND (sqlc.narg(action)::text IS NULL OR action = sqlc.narg(action)::text)
  AND (sqlc.narg(actor)::uuid IS NULL OR actor = sqlc.narg(actor)::uuid)
ORDER BY created_at DESC, id DESC
LIMIT @max_rows;
