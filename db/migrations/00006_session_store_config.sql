-- Which session store the deployment's servers use. `serve` records it at
-- start-up; `users disable` compares its own configuration with it and
-- refuses to run with another store, where revoking the user's sessions
-- would delete nothing. One row: the store's kind and, for Redis, the key
-- prefix. Never a Redis address or password.

-- +goose Up
CREATE TABLE session_store_config (
    singleton        boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    kind             text        NOT NULL CHECK (kind IN ('postgres', 'redis')),
    redis_key_prefix text        NOT NULL CHECK ((kind = 'redis') = (redis_key_prefix <> '')),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE ON session_store_config TO tenantkit_app;

-- +goose Down
DROP TABLE session_store_config;
