-- Large objects are outside row-level security: one namespace per
-- database, each owned by the role that created it. Every tenant
-- transaction runs as the same role, so a large object one tenant creates
-- is readable, writable and removable by every other tenant. No tenantkit
-- code uses them; nobody but superusers may.
--
-- Postgres checks no privilege to create a large object, only EXECUTE on
-- the functions (lo_create, lo_creat, lo_from_bytea, and lo_open/lowrite,
-- which the client-side lo_import calls). Reading one needs EXECUTE on
-- lo_get or lo_open/loread as well as SELECT on the object, which its owner
-- always has (and which lo_compat_privileges, superuser-only, would skip).
-- So the fence is EXECUTE on every large-object function
-- (implemented by the backend's be_lo* routines), revoked from PUBLIC in
-- this database. Only a superuser can do that: the functions belong to the
-- bootstrap superuser, and a REVOKE by anyone else changes nothing but
-- warns. When the owner is not a superuser this migration only warns, and
-- `serve` refuses to start until a superuser has run the REVOKE it names
-- (database.CheckRuntimeRole).

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE
    f regprocedure;
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE WARNING 'large objects stay open to every role: only a superuser can revoke EXECUTE on the large-object functions; `server serve` names the REVOKE to run';
        RETURN;
    END IF;
    FOR f IN
        SELECT p.oid FROM pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace
          AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'internal')
          AND p.prosrc LIKE 'be\_lo%'
        ORDER BY p.oid
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    f regprocedure;
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN;
    END IF;
    -- Postgres's defaults: PUBLIC may execute all but the server-side
    -- lo_import and lo_export.
    FOR f IN
        SELECT p.oid FROM pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace
          AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'internal')
          AND p.prosrc LIKE 'be\_lo%'
          AND p.prosrc NOT LIKE 'be\_lo\_import%' AND p.prosrc <> 'be_lo_export'
        ORDER BY p.oid
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f);
    END LOOP;
END
$$;
-- +goose StatementEnd
