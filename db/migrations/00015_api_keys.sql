-- API keys (issue 11): machine access to one tenant, with a role. The
-- session layer owns them: request auth looks a key up by its id on the
-- runtime pool (one read per request, whatever SESSION_STORE is: keys are
-- long-lived credentials an admin lists and revokes, so they live in
-- Postgres). Creating and revoking a key happen on the runtime pool too,
-- after the tenant transaction has authorised them, with their audit event
-- in the same transaction; a tenant transaction only lists its own
-- tenant's keys, under RLS, and never sees a hash: SQL injected into one
-- can neither read a key's hash nor plant or widen a key.
--
-- A key is tk_<id>_<secret>: only the SHA-256 of the secret is stored, so
-- a copy of this table opens nothing.

-- +goose Up
CREATE TABLE api_keys (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    -- Never owner: what only owners may do (delete, transfer the tenant)
    -- needs a person, re-authenticated.
    role         text        NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    secret_hash  bytea       NOT NULL CHECK (octet_length(secret_hash) = 32),
    -- Who created it; NULL once that user is deleted. The key belongs to
    -- the tenant: it works on when its creator leaves.
    created_by   uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    expires_at   timestamptz CHECK (expires_at > created_at),
    PRIMARY KEY (tenant_id, id)
);
-- Request auth finds a key by its id alone (the key names no tenant). Not
-- a unique key (those include tenant_id on tenant tables): ids are random.
CREATE INDEX api_keys_id_idx ON api_keys (id);

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY api_keys_tenant ON api_keys
    USING (tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT app.current_tenant_id()));
-- The session layer (the runtime group, never a tenant transaction) reads
-- a key by id, stamps its last use, creates and revokes keys.
CREATE POLICY api_keys_session ON api_keys TO tenantkit_app USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, DELETE ON api_keys TO tenantkit_app;
GRANT UPDATE (last_used_at) ON api_keys TO tenantkit_app;
-- Tenant transactions read their keys, never the hash.
GRANT SELECT (tenant_id, id, name, role, created_by, created_at, last_used_at, expires_at) ON api_keys TO tenantkit_tenant;
COMMENT ON TABLE api_keys IS 'tenantkit:readonly the session layer writes API keys; tenant transactions list them, without their hashes';

-- A key's tenant transaction checks, in the pipeline that opens it, that
-- the key still exists and has not expired (a revocation takes effect at
-- once), and answers its role: the membership check of a key. It fails
-- rather than returning no row, so the request's own statements behind it
-- in the pipeline never run.
-- +goose StatementBegin
CREATE FUNCTION app.api_key_role(p_key uuid) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog
    AS $$
DECLARE
    r text;
BEGIN
    SELECT k.role INTO r
    FROM public.api_keys k
    WHERE k.tenant_id = app.current_tenant_id() AND k.id = p_key
      AND (k.expires_at IS NULL OR k.expires_at > now());
    IF r IS NULL THEN
        RAISE EXCEPTION 'no such API key in the current tenant' USING ERRCODE = 'TK404';
    END IF;
    RETURN r;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION app.api_key_role(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.api_key_role(uuid) TO tenantkit_tenant;

-- An API key's writes are recorded with no user as actor and the key's id.
ALTER TABLE audit_events ADD COLUMN api_key_id uuid;
-- The session layer records api_key.created and api_key.revoked in the
-- transaction that makes the change, as identity records its own.
DROP POLICY audit_events_identity ON audit_events;
CREATE POLICY audit_events_identity ON audit_events FOR INSERT TO tenantkit_app
    WITH CHECK (action ~ '^(member|tenant|invitation|api_key)\.');

-- +goose Down
DROP POLICY audit_events_identity ON audit_events;
CREATE POLICY audit_events_identity ON audit_events FOR INSERT TO tenantkit_app
    WITH CHECK (action ~ '^(member|tenant|invitation)\.');
ALTER TABLE audit_events DROP COLUMN api_key_id;
DROP FUNCTION app.api_key_role(uuid);
DROP TABLE api_keys;
