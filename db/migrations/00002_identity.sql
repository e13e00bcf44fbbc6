-- Identity: tenants, users, memberships and password credentials. Only
-- internal/identity reads or writes these tables.

-- +goose Up
CREATE TABLE tenants (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    slug       text        NOT NULL UNIQUE
                           CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    name       text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email       text        NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);
-- One user per human: emails are unique case-insensitively.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
    tenant_id  uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text        NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_id_idx ON memberships (user_id);

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
-- Reads and writes inside the current tenant.
CREATE POLICY memberships_tenant ON memberships
    USING (tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT app.current_tenant_id()));
-- Identity (the runtime group, never a tenant transaction) owns
-- memberships: it lists a user's across tenants, creates and removes them.
CREATE POLICY memberships_identity ON memberships TO tenantkit_app USING (true) WITH CHECK (true);

CREATE TABLE password_credentials (
    user_id    uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash       text        NOT NULL CHECK (hash LIKE '$argon2id$%'),
    updated_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, users, memberships, password_credentials TO tenantkit_app;

-- A tenant transaction reads its own tenant and that tenant's members:
-- enough of users to check membership and list members, never credentials.
GRANT SELECT ON tenants, memberships TO tenantkit_tenant;
GRANT SELECT (id, email, name, disabled_at) ON users TO tenantkit_tenant;
COMMENT ON TABLE memberships IS 'tenantkit:readonly identity owns memberships; tenant transactions only read them';

-- The directories: identity (the runtime group) sees every tenant and user;
-- a tenant transaction sees its own tenant and that tenant's members only.
-- Not FORCEd: these are not tenant tables, and the owner keeps full access.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenants_identity ON tenants TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY tenants_current ON tenants FOR SELECT TO tenantkit_tenant
    USING (id = (SELECT app.current_tenant_id()));

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_identity ON users TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY users_current_tenant ON users FOR SELECT TO tenantkit_tenant
    USING (id IN (SELECT m.user_id FROM memberships m WHERE m.tenant_id = (SELECT app.current_tenant_id())));

-- +goose Down
DROP TABLE password_credentials;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE tenants;
