// Package session keeps browser sessions for tenantkit: the session cookie,
// the server-side record behind it (in Postgres or Redis), its lifecycle
// (login, tenant switch, logout, idle and absolute expiry) and the per-user
// index that lets a user list and revoke their sessions. It also keeps the
// bearer tokens of first-party native and single-page clients (tokens.go):
// token families of access and refresh tokens, in the same store, listed
// and revoked beside cookie sessions. And it keeps tenants' API keys
// (apikeys.go), in Postgres whatever the store: looked up once per request
// by id, the secret kept only as SHA-256 and compared in constant time.
//
// It is built on github.com/alexedwards/scs/v2, which handles the cookie,
// the token and the request cycle. Manager configures scs and decides when a
// record is written; the stores (PostgresStore, RedisStore) implement Store
// and pass one conformance suite.
//
// Invariants:
//
//   - A session token never reaches storage: every store keys its records by
//     the SHA-256 of the token (TokenHash), and hashes inside the store, so no
//     caller or configuration can make it store a raw token.
//   - A session holds metadata only (Session: ids, times, IP, user agent,
//     tenant), never user data; the codec refuses to encode anything else.
//   - Every privilege change gets a new token (Login, SwitchTenant), Logout
//     deletes the server-side record, and a token the client made up is never
//     adopted.
//   - A revoked session stays revoked, also when the revocation lands during
//     a request: only Login creates a record, and it stores it before it
//     returns; SwitchTenant moves a record to its new token only while the
//     old one still exists (Store.RotateCtx), and otherwise fails with
//     ErrNoSession; nothing else in a request writes more than a touch,
//     which never creates a record.
//   - Idle timeout and absolute lifetime are enforced on the server, by the
//     Manager and by the store's own expiry.
//   - A store failure is an error (errors.Is(err, ErrUnavailable) for an
//     outage), never an anonymous request. A stored record that cannot be
//     decoded is not a failure but no session: it is deleted, its cookie
//     cleared and a warning logged.
//   - In steady state a request costs one store read; the last-seen time is
//     written at most once per Config.TouchInterval per session.
//   - Bearer tokens are stored only as SHA-256 too; a refresh token's
//     successors are derived from it with a server key (Config.TokenKey),
//     so a retry within the grace window gets the same pair without the
//     store holding a token. A refresh token rotates on every use, and a
//     spent one presented again (outside the grace window) deletes its
//     whole family in the same atomic store operation, which does not roll
//     back with the request. Ending a family (revocation, RevokeAll,
//     expiry) ends its access tokens at once: an access-token lookup is
//     one store read that finds nothing of a family that is gone.
//   - Whatever revokes sessions from outside the server (`users disable`)
//     uses the store the server uses: serve records it in the database
//     (RecordStoreConfig), and the command refuses to run on another.
package session
