package session

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Bearer tokens for first-party native and single-page clients.
//
// A sign-in (IssueTokens) starts a token family: an access token and a
// refresh token. Refresh trades the family's current refresh token for a
// new pair and makes the presented one spent (rotation). The family shows
// in the user's session list (List, Session.Token) and ends like a cookie
// session: Revoke by its id, RevokeOthers and RevokeAll (disabling a user,
// a password reset), RevokeToken with either of its tokens, its idle
// timeout or its lifetime. Ending a family ends its access tokens at once.
//
// Token format: a prefix naming the kind, the family id, and a secret,
//
//	tka_<family id: 22 chars><secret: 43 chars>   access token
//	tkr_<family id: 22 chars><secret: 43 chars>   refresh token
//
// the id and the secret base64url without padding (16 and 32 bytes), 69
// characters in all; secret scanners can match `tk[ar]_[A-Za-z0-9_-]{65}`.
// The family id is not secret (it is the session id the list shows): it
// lets a store keep a family's records together and find them in one
// read. Stores keep only SHA-256 of the whole token (TokenHash).
//
// Rotation is deterministic: the successors of refresh token p are
//
//	refresh: tkr_<family id><HMAC-SHA256(k, "refresh|" + p)>
//	access:  tka_<family id><HMAC-SHA256(k, "access|" + p)>
//
// with k derived from Config.TokenKey by HKDF-SHA256 (info "tenantkit
// bearer token v1"). A retry of p within Config.RefreshGrace of its
// rotation gets the very pair the rotation issued, re-derived, so no store
// ever holds a raw token, and concurrent refreshes of one token cannot
// yield two live successors. A first pair (IssueTokens) is random.

// Token prefixes.
const (
	AccessTokenPrefix  = "tka_"
	RefreshTokenPrefix = "tkr_"
)

var (
	familyIDLen    = base64.RawURLEncoding.EncodedLen(16)
	bearerTokenLen = len(AccessTokenPrefix) + familyIDLen + tokenLen
)

const tokenKeyInfo = "tenantkit bearer token v1"

// TokenPair is what a sign-in or a refresh hands the client.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	// ExpiresIn is how long the access token has left.
	ExpiresIn time.Duration
}

// TokenMeta describes a sign-in, for the session list.
type TokenMeta struct {
	// TenantID is the tenant the tokens act in, or uuid.Nil.
	TenantID uuid.UUID
	// IP is the client's address ("ip" or "ip:port", trusted proxies
	// resolved); UserAgent is truncated like a session's.
	IP        string
	UserAgent string
}

// errTokensDisabled: the Manager has no Config.TokenKey.
var errTokensDisabled = errors.New("session: bearer tokens are disabled (Config.TokenKey is not set)")

// tokenKey derives the HMAC key for successors from the server secret.
func tokenKey(secret []byte) ([]byte, error) {
	if secret == nil {
		return nil, nil
	}
	return hkdf.Key(sha256.New, secret, nil, tokenKeyInfo, 32)
}

// parseBearer splits a token of the kind prefix names into its family id
// and hash; ok is false for anything else.
func parseBearer(token, prefix string) (familyID uuid.UUID, h TokenHash, ok bool) {
	if len(token) != bearerTokenLen || token[:len(prefix)] != prefix {
		return uuid.Nil, TokenHash{}, false
	}
	rest := token[len(prefix):]
	if _, ok := hashToken(rest[familyIDLen:]); !ok {
		return uuid.Nil, TokenHash{}, false
	}
	id, err := base64.RawURLEncoding.Strict().DecodeString(rest[:familyIDLen])
	if err != nil || len(id) != 16 {
		return uuid.Nil, TokenHash{}, false
	}
	return uuid.UUID(id), sha256.Sum256([]byte(token)), true
}

// bearerToken builds a token of the kind prefix names.
func bearerToken(prefix string, familyID uuid.UUID, secret []byte) string {
	return prefix + base64.RawURLEncoding.EncodeToString(familyID[:]) + base64.RawURLEncoding.EncodeToString(secret)
}

func randomBearer(prefix string, familyID uuid.UUID) string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return bearerToken(prefix, familyID, b)
}

// successors derives the refresh and access tokens that follow refresh
// token presented.
func (m *Manager) successors(familyID uuid.UUID, presented string) (refresh, access string) {
	mac := func(label string) []byte {
		h := hmac.New(sha256.New, m.tokenKey)
		h.Write([]byte(label + "|" + presented))
		return h.Sum(nil)
	}
	return bearerToken(RefreshTokenPrefix, familyID, mac("refresh")), bearerToken(AccessTokenPrefix, familyID, mac("access"))
}

func hashOf(token string) TokenHash { return sha256.Sum256([]byte(token)) }

// IssueTokens starts a token family for userID, after the caller has
// authenticated the user (and checked any tenant in meta), and returns its
// first pair. The family is stored before it returns.
func (m *Manager) IssueTokens(ctx context.Context, userID uuid.UUID, meta TokenMeta) (TokenPair, error) {
	if m.tokenKey == nil {
		return TokenPair{}, errTokensDisabled
	}
	if userID == uuid.Nil {
		return TokenPair{}, errors.New("session: tokens without a user id")
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return TokenPair{}, fmt.Errorf("token family id: %w", err)
	}
	now := m.now()
	f := Family{
		ID: id, UserID: userID, TenantID: meta.TenantID,
		CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(m.cfg.TokenLifetime),
		IP:        clientIP(meta.IP), UserAgent: truncateUserAgent(meta.UserAgent),
	}
	f.IdleExpiresAt = minTime(now.Add(m.cfg.TokenIdleTimeout), f.ExpiresAt)
	refresh, access := randomBearer(RefreshTokenPrefix, id), randomBearer(AccessTokenPrefix, id)
	accessExpiry := minTime(now.Add(m.cfg.AccessTokenLifetime), f.ExpiresAt)
	if err := m.store.CreateFamily(ctx, f, hashOf(refresh), hashOf(access), accessExpiry); err != nil {
		return TokenPair{}, fmt.Errorf("issue tokens: %w", err)
	}
	if err := m.capFamilies(ctx, userID, now); err != nil {
		return TokenPair{}, fmt.Errorf("issue tokens: %w", err)
	}
	return TokenPair{AccessToken: access, RefreshToken: refresh, ExpiresIn: accessExpiry.Sub(now)}, nil
}

// MaxTokenFamilies bounds a user's live token sign-ins: a new one beyond
// it ends the oldest. So the work of listing and revoking a user's
// sign-ins stays bounded, however often a client signs in.
const MaxTokenFamilies = 50

// capFamilies ends userID's oldest token families beyond MaxTokenFamilies.
func (m *Manager) capFamilies(ctx context.Context, userID uuid.UUID, now time.Time) error {
	fs, err := m.store.ListUserFamilies(ctx, userID, now)
	if err != nil || len(fs) <= MaxTokenFamilies {
		return err
	}
	slices.SortFunc(fs, func(a, b Family) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for _, f := range fs[:len(fs)-MaxTokenFamilies] {
		if _, err := m.store.DeleteUserFamily(ctx, userID, f.ID); err != nil {
			return err
		}
	}
	return nil
}

// Refresh trades a refresh token for the next pair of its family:
//
//   - the family's current refresh token: a new pair; the presented token
//     is spent;
//   - the token the last rotation spent, within Config.RefreshGrace of it:
//     the same pair that rotation returned (a concurrent or retried
//     request);
//   - any other token the family issued: ErrTokenReused, and the family
//     with all its tokens is revoked, durably, whatever the caller does
//     with the error;
//   - anything else (malformed, unknown, revoked, or a family past its
//     idle timeout or lifetime): ErrInvalidToken.
//
// A refresh extends the family's idle timeout, never beyond its lifetime.
// A store failure is returned as it is (ErrUnavailable for an outage).
func (m *Manager) Refresh(ctx context.Context, refreshToken string) (TokenPair, error) {
	if m.tokenKey == nil {
		return TokenPair{}, errTokensDisabled
	}
	familyID, h, ok := parseBearer(refreshToken, RefreshTokenPrefix)
	if !ok {
		return TokenPair{}, ErrInvalidToken
	}
	next, access := m.successors(familyID, refreshToken)
	now := m.now()
	res, err := m.store.RefreshFamily(ctx, TokenRefresh{
		FamilyID: familyID, Presented: h, Next: hashOf(next), Access: hashOf(access),
		Now: now, IdleExpiresAt: now.Add(m.cfg.TokenIdleTimeout), AccessExpiresAt: now.Add(m.cfg.AccessTokenLifetime),
		GraceStart: now.Add(-m.cfg.RefreshGrace),
	})
	if err != nil {
		return TokenPair{}, fmt.Errorf("refresh: %w", err)
	}
	switch res.Outcome {
	case RefreshRotated, RefreshGrace:
		expiry := minTime(res.RotatedAt.Add(m.cfg.AccessTokenLifetime), res.ExpiresAt)
		return TokenPair{AccessToken: access, RefreshToken: next, ExpiresIn: max(expiry.Sub(now), 0)}, nil
	case RefreshReused:
		m.cfg.Logger.WarnContext(ctx, "refresh token reused: token family revoked", "family_id", familyID)
		return TokenPair{}, ErrTokenReused
	}
	return TokenPair{}, ErrInvalidToken
}

// LookupAccess returns what an access token grants (its family, user and
// tenant), in one store read, or ErrInvalidToken when it is malformed,
// unknown, expired or its family has ended. A store failure is returned
// as it is, never ErrInvalidToken.
func (m *Manager) LookupAccess(ctx context.Context, accessToken string) (AccessGrant, error) {
	familyID, h, ok := parseBearer(accessToken, AccessTokenPrefix)
	if !ok {
		return AccessGrant{}, ErrInvalidToken
	}
	g, found, err := m.store.LookupAccess(ctx, familyID, h, m.now())
	if err != nil {
		return AccessGrant{}, fmt.Errorf("look up access token: %w", err)
	}
	if !found {
		return AccessGrant{}, ErrInvalidToken
	}
	return g, nil
}

// RevokeToken ends the family of token, an access or refresh token (spent
// ones too), with all its tokens. As RFC 7009 asks, a token that is
// malformed, unknown or already revoked is no error; only a store failure
// is.
func (m *Manager) RevokeToken(ctx context.Context, token string) error {
	familyID, h, ok := parseBearer(token, AccessTokenPrefix)
	if !ok {
		familyID, h, ok = parseBearer(token, RefreshTokenPrefix)
	}
	if !ok {
		return nil
	}
	if err := m.store.RevokeFamily(ctx, familyID, h); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// userFamilies returns userID's live token families as sessions.
func (m *Manager) userFamilies(ctx context.Context, userID uuid.UUID) ([]Session, error) {
	fs, err := m.store.ListUserFamilies(ctx, userID, m.now())
	if err != nil {
		return nil, err
	}
	out := make([]Session, 0, len(fs))
	for _, f := range fs {
		if f.UserID != userID {
			continue
		}
		out = append(out, Session{
			ID: f.ID, UserID: f.UserID, TenantID: f.TenantID, CreatedAt: f.CreatedAt, LastSeenAt: f.LastSeenAt,
			IP: f.IP, UserAgent: f.UserAgent, Token: true,
		})
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
