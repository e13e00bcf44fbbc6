-- Roles (issue 10): viewer joins owner, admin and member. Which role may do
-- what is the permission table in internal/tenancy/permissions.go; the
-- database only knows which roles exist. The constraint keeps its name,
-- which identity maps to a field problem on role.

-- +goose Up
ALTER TABLE memberships
    DROP CONSTRAINT memberships_role_check,
    ADD CONSTRAINT memberships_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer'));

-- +goose Down
-- Fails while a viewer membership exists: making viewers members would
-- grant them writes, and deleting them would lock them out, so change or
-- remove them first, deliberately.
ALTER TABLE memberships
    DROP CONSTRAINT memberships_role_check,
    ADD CONSTRAINT memberships_role_check CHECK (role IN ('owner', 'admin', 'member'));
