-- name: CreateTenant :one
INSERT INTO tenants (slug, name)
VALUES (@slug, @name)
RETURNING id, slug, name, created_at;

-- name: GetTenantByID :one
SELECT id, slug, name, created_at
FROM tenants
WHERE id = @id;

-- name: GetTenantBySlug :one
SELECT id, slug, name, created_at
FROM tenants
WHERE slug = @slug;

-- name: UpdateTenant :one
-- A NULL name or slug keeps the one the tenant has.
UPDATE tenants
SET name = coalesce(sqlc.narg(name), name),
    slug = coalesce(sqlc.narg(slug), slug)
WHERE id = @id
RETURNING id, slug, name, created_at;

-- name: DeleteTenant :execrows
-- Deletes a tenant and, by the ON DELETE CASCADE of every tenant table's
-- foreign key, every row of it.
DELETE FROM tenants WHERE id = @id;
