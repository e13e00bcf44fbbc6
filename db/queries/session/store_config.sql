-- name: RecordStoreConfig :exec
-- Records the session store the servers on this database use; the last
-- server to start wins.
INSERT INTO session_store_config (kind, redis_key_prefix)
VALUES (@kind, @redis_key_prefix)
ON CONFLICT (singleton) DO UPDATE
SET kind = EXCLUDED.kind, redis_key_prefix = EXCLUDED.redis_key_prefix, updated_at = now();

-- name: GetStoreConfig :one
SELECT kind, redis_key_prefix, updated_at
FROM session_store_config;
