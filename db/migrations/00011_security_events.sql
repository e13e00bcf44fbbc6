-- Security events: a user's own record of what happened to their account
-- (sign-ins, failed sign-ins, sign-outs, password and email changes,
-- session revocations), for GET /api/me/security-events. Identity writes
-- and reads them for the user they belong to; the tenant role reaches
-- nothing here.

-- +goose Up
CREATE TABLE security_events (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text        NOT NULL CHECK (kind ~ '^[a-z]+(_[a-z]+)*$' AND char_length(kind) <= 64),
    ip         text        NOT NULL DEFAULT '' CHECK (char_length(ip) <= 64),
    user_agent text        NOT NULL DEFAULT '' CHECK (char_length(user_agent) <= 256),
    request_id text        NOT NULL DEFAULT '' CHECK (char_length(request_id) <= 128),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX security_events_user_idx ON security_events (user_id, created_at DESC, id DESC);
CREATE INDEX security_events_created_at_idx ON security_events (created_at);

-- Append and read; DELETE only for the retention cleanup.
GRANT SELECT, INSERT, DELETE ON security_events TO tenantkit_app;

-- +goose Down
DROP TABLE security_events;
