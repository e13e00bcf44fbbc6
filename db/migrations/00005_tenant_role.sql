-- The tenant role: what a tenant-scoped transaction may touch. tenancy.Run
-- switches to it with SET LOCAL ROLE in the transaction's first round trip,
-- so domain code (and any query it gets wrong) sees tenant tables under RLS
-- and, of identity, only its own tenant and that tenant's members: no
-- password hashes, no sessions, no other tenant's rows or users.
--
-- The runtime group role keeps what identity and the session store need and
-- loses its rights on tenant tables; fork tables grant to tenantkit_tenant.
--
-- Roles are cluster-wide and shared by every tenantkit database on the
-- cluster: role statements run only when something is missing (so
-- concurrent migrations of two databases do not collide), and the Down
-- migration leaves roles alone.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tenantkit_tenant') THEN
        CREATE ROLE tenantkit_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    ELSIF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tenantkit_tenant' AND (rolsuper OR rolbypassrls OR rolcanlogin)) THEN
        ALTER ROLE tenantkit_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
    -- Members of the runtime group may SET ROLE tenantkit_tenant but must
    -- not inherit its rights. Postgres 16+ records that on the grant itself;
    -- on 15 the group's NOINHERIT attribute stops inheritance through it.
    IF (SELECT rolinherit FROM pg_roles WHERE rolname = 'tenantkit_app') THEN
        ALTER ROLE tenantkit_app NOINHERIT;
    END IF;
    IF NOT pg_has_role('tenantkit_app', 'tenantkit_tenant', 'MEMBER') THEN
        IF current_setting('server_version_num')::int >= 160000 THEN
            EXECUTE 'GRANT tenantkit_tenant TO tenantkit_app WITH INHERIT FALSE, SET TRUE';
        ELSE
            GRANT tenantkit_tenant TO tenantkit_app;
        END IF;
    END IF;
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public, app TO tenantkit_tenant;
GRANT SELECT ON tenants TO tenantkit_tenant;
-- Enough of users to check membership and list members; never credentials.
GRANT SELECT (id, email, name, disabled_at) ON users TO tenantkit_tenant;
GRANT SELECT ON memberships TO tenantkit_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON projects TO tenantkit_tenant;
REVOKE ALL ON projects FROM tenantkit_app;

-- A user's own memberships across tenants are for identity (runtime role)
-- only; inside a tenant transaction only the tenant's rows are visible.
ALTER POLICY memberships_own ON memberships TO tenantkit_app;

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
DROP POLICY users_current_tenant ON users;
DROP POLICY users_identity ON users;
ALTER TABLE users DISABLE ROW LEVEL SECURITY;
DROP POLICY tenants_current ON tenants;
DROP POLICY tenants_identity ON tenants;
ALTER TABLE tenants DISABLE ROW LEVEL SECURITY;
ALTER POLICY memberships_own ON memberships TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON projects TO tenantkit_app;
REVOKE ALL ON projects, memberships, tenants FROM tenantkit_tenant;
REVOKE SELECT (id, email, name, disabled_at) ON users FROM tenantkit_tenant;
REVOKE USAGE ON SCHEMA public, app FROM tenantkit_tenant;
-- The roles and their membership are cluster-wide: other databases may rely
-- on them, so they stay.
