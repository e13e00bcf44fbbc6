-- Platform plumbing shared by every component: the two roles and the
-- functions RLS policies key on.
--
--   tenantkit_app     the runtime group: what identity and the session store
--                     need. Login roles (APP_DATABASE_URL) are its members.
--   tenantkit_tenant  what a tenant transaction may touch: tenant tables
--                     under RLS and, of identity, its own tenant and that
--                     tenant's members. tenancy.Run switches to it with
--                     SET LOCAL ROLE; runtime roles may switch to it but never
--                     inherit its rights.
--
-- Roles are cluster-wide and shared by every tenantkit database on the
-- cluster: role statements run only when something is missing (so
-- concurrent migrations of two databases do not collide), and the Down
-- migration leaves roles alone.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tenantkit_app') THEN
        CREATE ROLE tenantkit_app NOLOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    ELSIF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tenantkit_app' AND (rolsuper OR rolbypassrls OR rolcanlogin)) THEN
        -- A role of that name from elsewhere on the cluster: make it safe.
        ALTER ROLE tenantkit_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
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

CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'tenantkit platform functions used by row-level security policies';

-- current_tenant_id is the tenant the running transaction is scoped to, or
-- NULL when none is set. An unset or empty setting never means "all tenants":
-- tenant_id = NULL is never true. Policies call it in a sub-select so it is
-- evaluated once per statement, not once per row.
CREATE FUNCTION app.current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

-- current_user_id is the user the running transaction acts for, or NULL. It
-- only widens SELECT on a user's own rows (their memberships), never writes.
CREATE FUNCTION app.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog
    AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;

REVOKE ALL ON SCHEMA app FROM PUBLIC;
GRANT USAGE ON SCHEMA public, app TO tenantkit_app, tenantkit_tenant;

-- +goose Down
REVOKE USAGE ON SCHEMA public FROM tenantkit_app, tenantkit_tenant;
DROP SCHEMA app CASCADE;
-- The roles are cluster-wide: other databases may rely on them, so they stay.
