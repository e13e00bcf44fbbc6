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
