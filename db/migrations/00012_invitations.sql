-- Invitations (issue 10): an admin of a tenant invites an address with a
-- role; the mail carries a single-use link. Identity owns the table, like
-- memberships: it creates, replaces, accepts and ends invitations on the
-- runtime pool; a tenant transaction reads its own tenant's (to list the
-- pending ones) and changes none.
--
-- The token is 32 random bytes the invitee gets in the link; only its
-- SHA-256 is stored (a copy of this table opens nothing), and accepting or
-- declining deletes the row in the transaction that acts on it. One
-- pending invitation per tenant and address: inviting again replaces it
-- (new token, new role, new expiry), so the earlier link dies.

-- +goose Up
CREATE TABLE invitations (
    tenant_id  uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    email      text        NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    role       text        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    token_hash bytea       NOT NULL CHECK (octet_length(token_hash) = 32),
    -- Who invited; NULL once that user is deleted (the invitation stays).
    invited_by uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CHECK (expires_at > created_at),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX invitations_tenant_id_email_key ON invitations (tenant_id, lower(email));
-- A link names no tenant: it is found by its hash alone. Not a unique
-- key (those include tenant_id here, like every tenant table's): 32
-- random bytes do not collide.
CREATE INDEX invitations_token_hash_idx ON invitations (token_hash);
CREATE INDEX invitations_expires_at_idx ON invitations (expires_at);

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY invitations_tenant ON invitations
    USING (tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT app.current_tenant_id()));
-- Identity (the runtime group, never a tenant transaction) finds an
-- invitation by its token across tenants, and creates and ends them.
CREATE POLICY invitations_identity ON invitations TO tenantkit_app USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE, DELETE ON invitations TO tenantkit_app;
-- Never the token's hash: SQL injected into a tenant transaction cannot
-- read (or try) a link.
GRANT SELECT (tenant_id, id, email, role, invited_by, created_at, expires_at) ON invitations TO tenantkit_tenant;
COMMENT ON TABLE invitations IS 'tenantkit:readonly identity owns invitations; tenant transactions only read them';

-- Identity records invitation.* events too (created, revoked, declined).
DROP POLICY audit_events_identity ON audit_events;
CREATE POLICY audit_events_identity ON audit_events FOR INSERT TO tenantkit_app
    WITH CHECK (action ~ '^(member|tenant|invitation)\.');

-- +goose Down
DROP POLICY audit_events_identity ON audit_events;
CREATE POLICY audit_events_identity ON audit_events FOR INSERT TO tenantkit_app
    WITH CHECK (action ~ '^(member|tenant)\.');
DROP TABLE invitations;
