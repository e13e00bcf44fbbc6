package auth

import (
	"context"

	"github.com/google/uuid"
)

// Method is how a request authenticated.
type Method string

// The authentication methods.
const (
	MethodSession     Method = "session"      // a session cookie
	MethodAccessToken Method = "access_token" // a bearer access token (session.Manager.IssueTokens)
	MethodAPIKey      Method = "api_key"      // a tenant's API key (session.APIKeys)
)

// Principal is the authenticated caller of a request.
type Principal struct {
	// UserID is the user calling; uuid.Nil for an API key.
	UserID uuid.UUID
	// SessionID is the session's id, or the token family's for a bearer
	// access token (the id GET /api/me/sessions lists).
	SessionID uuid.UUID
	// TenantID is the session's current tenant, uuid.Nil for none. It is a
	// preference, not an authorization: tenancy checks membership.
	TenantID uuid.UUID
	Method   Method
	// APIKeyID is set, and UserID is uuid.Nil, for an API key: it acts in
	// TenantID alone, with its own role (tenancy checks it), as nobody.
	// KeyCreatedBy is the user who created it (uuid.Nil once deleted),
	// whom the rows it creates name.
	APIKeyID     uuid.UUID
	KeyCreatedBy uuid.UUID
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p. Only the middleware (and tests) call it.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the request's principal; ok is false for anonymous requests.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
