-- Change notifications for identity's caller cache (issue 8). Every row
-- change of users, memberships and tenants that can change what
-- identity.Service.Caller answers sends a notification on the channel
-- identity_changed when its transaction commits: 'u:<user id>' for a user
-- and their memberships, 't:<tenant id>' for a tenant. Each server listens
-- (identity.Service.WatchChanges) and forgets what it cached for that user
-- or tenant. Triggers, not the Go code, so that a change made with psql,
-- by another tool or by a fork's own SQL is seen as well.
--
-- Inserts of users and tenants notify nothing: the cache keeps only what
-- it read, and a row that did not exist was never read. A membership's
-- insert does notify: the cache may hold "not a member" for that user.
--
-- A TRUNCATE of any of them sends '*': forget everything.
--
-- The functions run as whoever changes the rows (SECURITY INVOKER, and
-- pg_notify may be called by anyone); nobody may call them directly. What
-- fires no trigger (session_replication_role = replica, a restore with
-- triggers disabled) is bounded by the cache's lifetime (CALLER_CACHE_TTL).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION app.notify_identity_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog
    AS $$
DECLARE
    prefix text := TG_ARGV[0];
    col    text := TG_ARGV[1];
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('identity_changed', prefix || ':' || (to_jsonb(OLD) ->> col));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        -- Identical notifications of one transaction are sent once.
        PERFORM pg_notify('identity_changed', prefix || ':' || (to_jsonb(NEW) ->> col));
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION app.notify_identity_change() FROM PUBLIC;

-- +goose StatementBegin
CREATE FUNCTION app.notify_identity_truncate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog
    AS $$
BEGIN
    PERFORM pg_notify('identity_changed', '*');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION app.notify_identity_truncate() FROM PUBLIC;

CREATE TRIGGER users_notify_identity_change
    AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION app.notify_identity_change('u', 'id');
CREATE TRIGGER memberships_notify_identity_change
    AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION app.notify_identity_change('u', 'user_id');
CREATE TRIGGER tenants_notify_identity_change
    AFTER UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION app.notify_identity_change('t', 'id');
CREATE TRIGGER users_notify_identity_truncate
    AFTER TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION app.notify_identity_truncate();
CREATE TRIGGER memberships_notify_identity_truncate
    AFTER TRUNCATE ON memberships FOR EACH STATEMENT EXECUTE FUNCTION app.notify_identity_truncate();
CREATE TRIGGER tenants_notify_identity_truncate
    AFTER TRUNCATE ON tenants FOR EACH STATEMENT EXECUTE FUNCTION app.notify_identity_truncate();

-- +goose Down
DROP TRIGGER tenants_notify_identity_truncate ON tenants;
DROP TRIGGER memberships_notify_identity_truncate ON memberships;
DROP TRIGGER users_notify_identity_truncate ON users;
DROP FUNCTION app.notify_identity_truncate();
DROP TRIGGER tenants_notify_identity_change ON tenants;
DROP TRIGGER memberships_notify_identity_change ON memberships;
DROP TRIGGER users_notify_identity_change ON users;
DROP FUNCTION app.notify_identity_change();
