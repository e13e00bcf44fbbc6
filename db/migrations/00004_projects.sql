-- The example domain table. Copy this shape for every tenant table a fork
-- adds: tenant_id leads the primary key and every index, uniqueness is per
-- tenant, and RLS is enabled, forced and keyed on app.current_tenant_id().

-- +goose Up
CREATE TABLE projects (
    tenant_id  uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    name       text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_by uuid        NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);
CREATE INDEX projects_tenant_created_idx ON projects (tenant_id, created_at, id);

ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
CREATE POLICY projects_tenant ON projects
    USING (tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT app.current_tenant_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON projects TO tenantkit_app;

-- +goose Down
DROP TABLE projects;
