-- Account lifecycle: verified email addresses and the single-use tokens
-- that mails carry (verification, password reset, email change). Only
-- internal/identity reads or writes these; the tenant role reaches none of
-- it.
--
-- A token is 32 random bytes the user gets in a link; only its SHA-256 is
-- stored, so a copy of this table opens nothing. Consuming a token deletes
-- its row in the transaction that acts on it: it works once.

-- +goose Up
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

CREATE TABLE account_tokens (
    token_hash bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    purpose    text        NOT NULL CHECK (purpose IN ('verify_email', 'password_reset', 'email_change')),
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The address the token was mailed to: the user's own for
    -- verification and reset (the token is void once the user's address
    -- changes), the new one for an email change.
    email      text        NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    -- A verification mailed at sign-up: the password hash that sign-up
    -- chose. Verifying keeps the password only while it is still this
    -- one; otherwise (or for a resent link, which has none) the address's
    -- owner never proved they chose it, and verification removes it.
    password_hash text     CHECK (password_hash LIKE '$argon2id$%'),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX account_tokens_user_id_idx ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expires_at_idx ON account_tokens (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON account_tokens TO tenantkit_app;

-- +goose Down
DROP TABLE account_tokens;
ALTER TABLE users DROP COLUMN email_verified_at;
