-- name: ListProjects :many
SELECT id, name, created_by, created_at
FROM projects
WHERE tenant_id = @tenant_id
ORDER BY created_at, id
LIMIT @max_rows;

-- name: CreateProject :one
INSERT INTO projects (tenant_id, name, created_by)
VALUES (@tenant_id, @name, @created_by)
RETURNING id, name, created_by, created_at;

-- name: GetProject :one
SELECT id, name, created_by, created_at
FROM projects
WHERE tenant_id = @tenant_id AND id = @id;

-- name: RenameProject :one
UPDATE projects
SET name = @name
WHERE tenant_id = @tenant_id AND id = @id
RETURNING id, name, created_by, created_at;

-- name: DeleteProject :execrows
DELETE FROM projects
WHERE tenant_id = @tenant_id AND id = @id;
