-- The tenant audit log (issue 10): who did what in a tenant, written in the
-- same transaction as the change it records, so a rolled-back change leaves
-- no event and a committed one cannot lose its event.
--
-- A tenant table like projects (tenant_id leads the key, RLS enabled and
-- forced, one policy keyed on app.current_tenant_id()), but append-only: the
-- tenant role may INSERT and SELECT, never UPDATE or DELETE, so SQL inside a
-- tenant transaction (injected or not) cannot rewrite history. The RLS audit
-- (db/rls_test.go) holds a table marked tenantkit:appendonly to exactly that.
--
-- Identity writes memberships on the runtime pool, outside tenant
-- transactions, and records those changes here in the same transaction: the
-- runtime group may INSERT (only), under a policy scoped like memberships'
-- identity policy. It can neither read nor change the log.

-- +goose Up
CREATE TABLE audit_events (
    tenant_id  uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    -- The user who acted; NULL once that user is deleted (the event stays).
    actor      uuid        REFERENCES users (id) ON DELETE SET NULL,
    action     text        NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$' AND char_length(action) <= 100),
    target     text        NOT NULL CHECK (char_length(target) <= 200),
    detail     jsonb       NOT NULL DEFAULT '{}' CHECK (octet_length(detail::text) <= 4096),
    request_id text        NOT NULL DEFAULT '' CHECK (char_length(request_id) <= 200),
    ip         text        NOT NULL DEFAULT '' CHECK (char_length(ip) <= 64),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, id)
);
-- Newest first, by action or by actor.
CREATE INDEX audit_events_tenant_id_created_at_idx ON audit_events (tenant_id, created_at DESC, id DESC);
CREATE INDEX audit_events_tenant_id_action_idx ON audit_events (tenant_id, action, created_at DESC, id DESC);
CREATE INDEX audit_events_tenant_id_actor_idx ON audit_events (tenant_id, actor, created_at DESC, id DESC);

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_events_tenant ON audit_events
    USING (tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT app.current_tenant_id()));
-- Identity (the runtime group, never a tenant transaction) records the
-- membership changes it makes; it writes events and reads none.
-- Only the actions identity records (member.*, tenant.*): an injection in
-- a runtime-role query cannot plant a domain event in any tenant's log.
CREATE POLICY audit_events_identity ON audit_events FOR INSERT TO tenantkit_app
    WITH CHECK (action ~ '^(member|tenant)\.');

-- Whoever inserts, the database stamps the event: its id and time are not
-- the inserter's to choose (no backdating), and inside a tenant
-- transaction the actor must be a member of the tenant, checked before the
-- foreign key (so a forged actor neither lands in the log nor tells
-- whether some other tenant's user exists). SECURITY INVOKER: it reads
-- memberships under the inserter's own policies. (Identity, on the runtime
-- role, records a member.left whose actor has just left: it is not held to
-- the membership rule.)
-- +goose StatementBegin
CREATE FUNCTION app.stamp_audit_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog
    AS $$
BEGIN
    NEW.id := gen_random_uuid();
    NEW.created_at := clock_timestamp();
    IF NEW.actor IS NOT NULL AND pg_has_role(current_user, 'tenantkit_tenant', 'MEMBER')
       AND NOT EXISTS (SELECT 1 FROM public.memberships m WHERE m.tenant_id = NEW.tenant_id AND m.user_id = NEW.actor) THEN
        RAISE EXCEPTION 'the audit event''s actor is not a member of the tenant' USING ERRCODE = 'TK403';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_stamp BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION app.stamp_audit_event();
-- A trigger runs its function without EXECUTE; nobody needs to call it.
REVOKE EXECUTE ON FUNCTION app.stamp_audit_event() FROM PUBLIC;

GRANT SELECT, INSERT ON audit_events TO tenantkit_tenant;
GRANT INSERT ON audit_events TO tenantkit_app;
COMMENT ON TABLE audit_events IS 'tenantkit:appendonly the tenant audit log: tenants insert and read, never change';

-- +goose Down
DROP TABLE audit_events;
DROP FUNCTION app.stamp_audit_event();
