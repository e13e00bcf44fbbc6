-- projects: the example tenant table, written by
--   make table NAME=projects FIELDS="name:text!"
-- Every tenant table has this shape: tenant_id leads the primary key and
-- every unique key and index, foreign keys to other tenant tables include
-- tenant_id, RLS is enabled and forced with one policy keyed on
-- app.current_tenant_id(), and only the tenant role is granted anything.

-- +goose Up
CREATE TABLE projects (
    tenant_id  uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    name       text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_by uuid        NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);
CREATE INDEX projects_tenant_id_created_at_idx ON projects (tenant_id, created_at, id);

ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
CREATE POLICY projects_tenant ON projects
    USING (tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT app.current_tenant_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON projects TO tenantkit_tenant;

-- +goose Down
DROP TABLE projects;
