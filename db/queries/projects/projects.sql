-- name: ListProjects :many
SELECT id, name, created_by, created_at, updated_at
FROM projects
WHERE tenant_id = @tenant_id
  AND (created_at, id) > (@after_created_at::timestamptz, @after_id::uuid)
ORDER BY created_at, id
LIMIT @max_rows;

-- name: CreateProject :one
INSERT INTO projects (tenant_id, name, created_by)
VALUES (@tenant_id, @name, @created_by)
RETURNING id, name, created_by, created_at, updated_at;

-- name: GetProject :one
SELECT id, name, created_by, created_at, updated_at
FROM projects
WHERE tenant_id = @tenant_id AND id = @id;

-- name: UpdateProject :one
UPDATE projects
SET name = coalesce(sqlc.narg(name), name),
    updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING id, name, created_by, created_at, updated_at;

-- name: DeleteProject :execrows
DELETE FROM projects
WHERE tenant_id = @tenant_id AND id = @id;
