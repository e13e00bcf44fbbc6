// Package auth is the small middleware on every request: it turns a session
// cookie or a bearer access token into a Principal on the request context,
// and rejects what is invalid. It holds no business logic.
//
// Invariants:
//   - Handlers read who is calling only through PrincipalFrom; nothing else
//     reads raw session data.
//   - It fails closed: when the session store cannot answer, the request gets
//     503, never an anonymous fall-through.
//   - It costs at most one session-store read per request, for a cookie as
//     for a token.
//   - A bearer token is judged alone: an invalid one is 401, never an
//     anonymous request, and a cookie beside it is refused.
package auth
