-- Platform plumbing shared by every component: the two roles and the
-- functions RLS policies key on.
--
--   tenantkit_app     the runtime group: what identity and the session store
--                     need. Login roles (APP_DATABASE_URL) are its members.
--   tenantkit_tenant  what a tenant transaction may touch: tenant tables
--                     under RLS and, of identity, its own tenant and that
--                     tenant's members. Tenant transactions run on a login
--                     role of their own (TENANT_DATABASE_URL) that is a member
--                     of it and of nothing else, so no SQL inside one can
--                     step out to identity's or the session store's tables.
--
-- Both names are placeholders: roles are cluster-wide, so every deployment
-- has its own pair, <DATABASE_ROLE_PREFIX>_app and _tenant (the prefix
-- defaults to the database name), and `migrate up` substitutes them for
-- these names in every migration (internal/database/roles.go). Migrations
-- use the placeholders and nothing else to name them. Role statements run
-- only when something is missing, and the Down migration leaves roles alone.

-- +goose Up
-- Only the roles `migrate up` grants CONNECT to (this deployment's runtime
-- and tenant login roles) may connect, from before any table exists.
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
BEGIN
    -- A role of either name that can log in or bypasses RLS is someone
    -- else's: the migration stops rather than take it over.
    IF EXISTS (SELECT FROM pg_roles WHERE rolname IN ('tenantkit_app', 'tenantkit_tenant')
                                      AND (rolsuper OR rolbypassrls OR rolcanlogin)) THEN
        RAISE EXCEPTION 'role tenantkit_app or tenantkit_tenant exists and can log in, is a superuser or has BYPASSRLS'
            USING HINT = 'these are the deployment''s group roles; choose another DATABASE_ROLE_PREFIX';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tenantkit_app') THEN
        CREATE ROLE tenantkit_app NOLOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tenantkit_tenant') THEN
        CREATE ROLE tenantkit_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    -- The runtime group never acts as the tenant role: tenant transactions
    -- run on their own login role (TENANT_DATABASE_URL), a member of
    -- tenantkit_tenant and nothing else. A grant left by an older version
    -- goes.
    IF pg_has_role('tenantkit_app', 'tenantkit_tenant', 'MEMBER') THEN
        REVOKE tenantkit_tenant FROM tenantkit_app;
    END IF;
END
$$;
-- +goose StatementEnd

CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'tenantkit platform functions used by row-level security policies';

-- The tenant context key signs the tenant a transaction is scoped to. Only
-- the owner (and the server, from TENANT_CONTEXT_KEY) knows it: `migrate up`
-- writes it here, in a schema no other role may use.
CREATE SCHEMA app_private;
REVOKE ALL ON SCHEMA app_private FROM PUBLIC;
COMMENT ON SCHEMA app_private IS 'tenantkit: owner-only; the tenant context key and the functions that check it';
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA app_private;
CREATE TABLE app_private.tenant_context_key (
    id  boolean PRIMARY KEY DEFAULT true CHECK (id),
    key bytea   NOT NULL CHECK (octet_length(key) >= 32)
);

-- current_tenant_id is the tenant the running transaction is scoped to, or
-- NULL. The server sets app.tenant_id together with app.tenant_sig, the
-- HMAC-SHA256 under the tenant context key of "<tenant id>:<backend pid>";
-- the tenant counts only when the signature verifies. So SQL running inside
-- a tenant transaction cannot move it to another tenant: it can set
-- app.tenant_id, but not sign it, and a signature copied from another
-- connection names that connection's pid. An unset, empty, unsigned or
-- wrongly signed setting is NULL, never "all tenants": tenant_id = NULL is
-- never true. SECURITY DEFINER reads the key as the owner; policies call it
-- in a sub-select, so it runs once per statement. PARALLEL RESTRICTED keeps
-- it in the leader, whose pid signed the setting.
-- +goose StatementBegin
CREATE FUNCTION app.current_tenant_id() RETURNS uuid
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog
    AS $$
DECLARE
    tenant text := current_setting('app.tenant_id', true);
BEGIN
    -- plpgsql keeps the plan across calls: a third of an SQL function's cost.
    IF encode(app_private.hmac(convert_to(tenant || ':' || pg_backend_pid()::text, 'UTF8'),
                               (SELECT k.key FROM app_private.tenant_context_key k), 'sha256'), 'hex')
       = current_setting('app.tenant_sig', true) THEN
        RETURN NULLIF(tenant, '')::uuid;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

REVOKE ALL ON SCHEMA app FROM PUBLIC;
GRANT USAGE ON SCHEMA public, app TO tenantkit_app, tenantkit_tenant;

-- +goose Down
REVOKE USAGE ON SCHEMA public FROM tenantkit_app, tenantkit_tenant;
DROP SCHEMA app CASCADE;
DROP SCHEMA app_private CASCADE;
-- The roles stay: a role cannot be dropped while anything is granted to it,
-- and the deployment's other databases (a restored copy) may rely on them.
