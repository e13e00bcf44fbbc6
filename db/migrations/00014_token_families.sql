-- Bearer tokens for first-party native and single-page clients (issue 11),
-- kept by the Postgres session store. A token family is one sign-in: it
-- holds the hash of its current refresh token and of the one before it (for
-- the grace window of concurrent retries), and lists every refresh token it
-- has issued (so that reusing an old one is recognised and kills the
-- family) and its access tokens. Deleting a family deletes its tokens.
--
-- Only SHA-256 hashes of tokens are stored, never a token. The user and
-- tenant are referenced by id only, like sessions; the tenant column is
-- named current_tenant because this is not a tenant table (the tenant role
-- reaches none of it, and the RLS audit treats tenant_id columns as tenant
-- data). Expired families are deleted by the sessions cleanup job.

-- +goose Up
CREATE TABLE token_families (
    id              uuid        PRIMARY KEY,
    user_id         uuid        NOT NULL,
    current_tenant  uuid,
    refresh_hash    bytea       NOT NULL UNIQUE CHECK (octet_length(refresh_hash) = 32),
    previous_hash   bytea       CHECK (octet_length(previous_hash) = 32),
    -- The newest access token's hash: a rotation keeps it (requests in
    -- flight with it still work) and ends the older ones.
    access_hash     bytea       NOT NULL CHECK (octet_length(access_hash) = 32),
    rotated_at      timestamptz,
    created_at      timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    -- Idle expiry: extended by each refresh, never beyond expires_at.
    idle_expires_at timestamptz NOT NULL,
    -- Absolute expiry.
    expires_at      timestamptz NOT NULL,
    ip              text        NOT NULL DEFAULT '',
    user_agent      text        NOT NULL DEFAULT '',
    CHECK ((previous_hash IS NULL) = (rotated_at IS NULL)),
    CHECK (idle_expires_at <= expires_at)
);
CREATE INDEX token_families_user_id_idx ON token_families (user_id);
CREATE INDEX token_families_idle_expires_at_idx ON token_families (idle_expires_at);

-- Every refresh token a family has issued, current and spent.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    family_id  uuid  NOT NULL REFERENCES token_families (id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);

CREATE TABLE access_tokens (
    token_hash     bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    family_id      uuid        NOT NULL REFERENCES token_families (id) ON DELETE CASCADE,
    user_id        uuid        NOT NULL,
    current_tenant uuid,
    expires_at     timestamptz NOT NULL
);
CREATE INDEX access_tokens_family_id_idx ON access_tokens (family_id);
CREATE INDEX access_tokens_expires_at_idx ON access_tokens (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON token_families, refresh_tokens, access_tokens TO tenantkit_app;

-- +goose Down
DROP TABLE access_tokens;
DROP TABLE refresh_tokens;
DROP TABLE token_families;
