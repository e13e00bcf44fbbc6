-- Session records for the Postgres session store. A row holds the SHA-256 of
-- the session token (never the token), the user it belongs to (for the
-- per-user index) and the scs-encoded metadata. Nothing here is user data.

-- +goose Up
CREATE TABLE sessions (
    token_hash bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id    uuid,
    data       bytea       NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX sessions_user_id_idx ON sessions (user_id) WHERE user_id IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO tenantkit_app;

-- +goose Down
DROP TABLE sessions;
