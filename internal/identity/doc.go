// Package identity owns who people are and where they belong: users, their
// password credentials, tenants and memberships. It signs users up,
// authenticates them, creates tenants and answers "is this user a member of
// this tenant, and with which role".
//
// Invariant: this package is the only code that reads or writes the users,
// password_credentials, account_tokens, tenants and memberships tables (through its
// generated queries in identitydb, which nothing else imports). Other
// components go through Service. Identity itself runs as the runtime group,
// the directory that sees every tenant, user and membership; inside a tenant
// transaction (Members, CurrentRoleQuery) row-level security,
// not only a WHERE clause, shows the current tenant's memberships only.
//
// Passwords are hashed with argon2id at OWASP's parameters, with a bounded
// number of hashes in flight and a bounded wait for one (ErrBusy); failed
// logins look the same whether or not the account exists (same error, and
// the key derivation runs either way).
//
// Account tokens (verification, reset, email change) are 32 random bytes
// kept only as SHA-256, single use (the transaction that acts on one deletes
// it) and bound to the address they were mailed to; the mail that carries
// one is queued through Config.Outbox in the transaction that creates it.
// What an anonymous caller can ask about an address (Register,
// RequestPasswordReset, RequestVerification) answers the same for every
// address: lookups that depend on the answer run later, as tasks (RunTask).
//
// Caller (who is calling: the user, the current tenant, the role) may
// answer from memory, but only while WatchChanges listens for the
// notifications the tables' triggers send on every change, and never for a
// disabled user; identity's own writes forget what they change as they
// commit. Nothing that decides access reads that cache.
package identity
