-- Platform plumbing shared by every component: the runtime group role and
-- the functions RLS policies key on. Roles are cluster-wide, so they are
-- created only if missing and never dropped by a down migration.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tenantkit_app') THEN
        CREATE ROLE tenantkit_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    ELSIF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tenantkit_app' AND (rolsuper OR rolbypassrls OR rolcanlogin)) THEN
        -- A role of that name from elsewhere on the cluster: make it safe.
        ALTER ROLE tenantkit_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
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
GRANT USAGE ON SCHEMA app TO tenantkit_app;
GRANT USAGE ON SCHEMA public TO tenantkit_app;

-- +goose Down
DROP SCHEMA app CASCADE;
