-- The tenant role: what a tenant-scoped transaction may touch. tenancy.Run
-- switches to it with SET LOCAL ROLE in the transaction's first round trip,
-- so domain code (and any query it gets wrong) sees tenant tables under RLS
-- and nothing else: no password hashes, no sessions, no other tenant's
-- tenants row to delete, no other user's memberships.
--
-- The runtime group role keeps what identity and the session store need and
-- loses its rights on tenant tables; fork tables grant to tenantkit_tenant.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tenantkit_tenant') THEN
        CREATE ROLE tenantkit_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;
-- +goose StatementEnd

-- Members of the runtime group may SET ROLE tenantkit_tenant but do not
-- inherit its rights: tenantkit_app is NOINHERIT (set before the grant, so on
-- Postgres 16+ the grant itself is also created WITH INHERIT FALSE).
ALTER ROLE tenantkit_app NOINHERIT;
GRANT tenantkit_tenant TO tenantkit_app;

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

-- +goose Down
ALTER POLICY memberships_own ON memberships TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON projects TO tenantkit_app;
REVOKE ALL ON projects, memberships, tenants FROM tenantkit_tenant;
REVOKE SELECT (id, email, name, disabled_at) ON users FROM tenantkit_tenant;
REVOKE USAGE ON SCHEMA public, app FROM tenantkit_tenant;
REVOKE tenantkit_tenant FROM tenantkit_app;
ALTER ROLE tenantkit_app INHERIT;
