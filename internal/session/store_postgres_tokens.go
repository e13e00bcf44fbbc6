package session

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/session/internal/sessiondb"
)

// The Postgres store keeps token families in token_families, the refresh
// tokens each has issued in refresh_tokens and its access tokens in
// access_tokens (db/migrations/00014_token_families.sql); deleting a family
// deletes its tokens (ON DELETE CASCADE). Every operation is one statement,
// except RefreshFamily when the token is not current (two; see there).

// CreateFamily implements TokenStore, in one statement.
func (s *PostgresStore) CreateFamily(ctx context.Context, f Family, refresh, access TokenHash, accessExpiresAt time.Time) error {
	_, err := pgQuery(ctx, s, "create token family", func(q *sessiondb.Queries) (struct{}, error) {
		return struct{}{}, q.CreateTokenFamily(ctx, sessiondb.CreateTokenFamilyParams{
			ID: f.ID, UserID: f.UserID, CurrentTenant: nullUUID(f.TenantID),
			RefreshHash: refresh[:], Now: f.CreatedAt, IdleExpiresAt: f.IdleExpiresAt, ExpiresAt: f.ExpiresAt,
			Ip: f.IP, UserAgent: f.UserAgent,
			AccessHash: access[:], AccessExpiresAt: accessExpiresAt,
		})
	})
	return err
}

// LookupAccess implements TokenStore, in one statement.
func (s *PostgresStore) LookupAccess(ctx context.Context, familyID uuid.UUID, h TokenHash, now time.Time) (AccessGrant, bool, error) {
	row, err := pgQuery(ctx, s, "look up access token", func(q *sessiondb.Queries) (sessiondb.LookupAccessTokenRow, error) {
		return q.LookupAccessToken(ctx, sessiondb.LookupAccessTokenParams{TokenHash: h[:], FamilyID: familyID, Now: now})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return AccessGrant{}, false, nil
	}
	if err != nil {
		return AccessGrant{}, false, err
	}
	return AccessGrant{FamilyID: familyID, UserID: row.UserID, TenantID: row.CurrentTenant.UUID, ExpiresAt: row.ExpiresAt}, true, nil
}

// RefreshFamily implements TokenStore. The common case, the current token
// of a live family, is one statement (RotateRefreshToken) that rotates and
// stores the new tokens. Otherwise a second statement (SettleRefreshToken)
// judges the token on a fresh snapshot, and deletes the family on reuse or
// expiry. Each statement commits by itself, and the pair is safe: the
// first updates nothing unless the token is current, which only a
// rotation changes, and a rotation that made it previous has committed
// before the second starts (the first waited for its row lock), so a
// concurrent retry sees it as the previous token (the grace path) rather
// than as reuse.
func (s *PostgresStore) RefreshFamily(ctx context.Context, r TokenRefresh) (RefreshResult, error) {
	return pgQuery(ctx, s, "refresh token family", func(q *sessiondb.Queries) (RefreshResult, error) {
		rot, err := q.RotateRefreshToken(ctx, sessiondb.RotateRefreshTokenParams{
			FamilyID: r.FamilyID, PresentedHash: r.Presented[:], NextHash: r.Next[:], AccessHash: r.Access[:],
			Now: r.Now, IdleExpiresAt: r.IdleExpiresAt, AccessExpiresAt: r.AccessExpiresAt,
		})
		if err == nil {
			return RefreshResult{Outcome: RefreshRotated, UserID: rot.UserID, TenantID: rot.CurrentTenant.UUID, RotatedAt: r.Now, ExpiresAt: rot.ExpiresAt}, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return RefreshResult{}, err
		}
		st, err := q.SettleRefreshToken(ctx, sessiondb.SettleRefreshTokenParams{
			FamilyID: r.FamilyID, PresentedHash: r.Presented[:], Now: r.Now, GraceStart: r.GraceStart,
		})
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return RefreshResult{Outcome: RefreshNotFound}, nil
		case err != nil:
			return RefreshResult{}, err
		case st.InGrace && st.RotatedAt != nil:
			return RefreshResult{Outcome: RefreshGrace, UserID: st.UserID, TenantID: st.CurrentTenant.UUID, RotatedAt: *st.RotatedAt, ExpiresAt: st.ExpiresAt}, nil
		case !st.Alive || st.IsCurrent:
			// Expired (and now deleted), or current again, which rotation
			// never allows: nothing to grant.
			return RefreshResult{Outcome: RefreshNotFound}, nil
		}
		return RefreshResult{Outcome: RefreshReused}, nil
	})
}

// RevokeFamily implements TokenStore, in one statement.
func (s *PostgresStore) RevokeFamily(ctx context.Context, familyID uuid.UUID, h TokenHash) error {
	_, err := pgQuery(ctx, s, "revoke token family", func(q *sessiondb.Queries) (int64, error) {
		return q.RevokeTokenFamily(ctx, sessiondb.RevokeTokenFamilyParams{FamilyID: familyID, TokenHash: h[:]})
	})
	return err
}

// ListUserFamilies implements TokenStore.
func (s *PostgresStore) ListUserFamilies(ctx context.Context, userID uuid.UUID, now time.Time) ([]Family, error) {
	rows, err := pgQuery(ctx, s, "list token families", func(q *sessiondb.Queries) ([]sessiondb.ListUserTokenFamiliesRow, error) {
		return q.ListUserTokenFamilies(ctx, sessiondb.ListUserTokenFamiliesParams{UserID: userID, Now: now, MaxFamilies: maxListed})
	})
	if err != nil {
		return nil, err
	}
	out := make([]Family, len(rows))
	for i, r := range rows {
		out[i] = Family{
			ID: r.ID, UserID: userID, TenantID: r.CurrentTenant.UUID,
			CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt, IdleExpiresAt: r.IdleExpiresAt, ExpiresAt: r.ExpiresAt,
			IP: r.Ip, UserAgent: r.UserAgent,
		}
	}
	return out, nil
}

// DeleteUserFamily implements TokenStore, in one statement.
func (s *PostgresStore) DeleteUserFamily(ctx context.Context, userID, familyID uuid.UUID) (bool, error) {
	n, err := pgQuery(ctx, s, "delete token family", func(q *sessiondb.Queries) (int64, error) {
		return q.DeleteUserTokenFamily(ctx, sessiondb.DeleteUserTokenFamilyParams{UserID: userID, ID: familyID})
	})
	return n > 0, err
}

// deleteExpiredTokens deletes expired families (with their tokens) and the
// expired access tokens of live ones, a batch at a time.
func (s *PostgresStore) deleteExpiredTokens(ctx context.Context) (int64, error) {
	var total int64
	for _, step := range []struct {
		op  string
		del func(q *sessiondb.Queries) (int64, error)
	}{
		{"delete expired token families", func(q *sessiondb.Queries) (int64, error) { return q.DeleteExpiredTokenFamilies(ctx, cleanupBatch) }},
		{"delete expired access tokens", func(q *sessiondb.Queries) (int64, error) { return q.DeleteExpiredAccessTokens(ctx, cleanupBatch) }},
	} {
		for {
			n, err := pgQuery(ctx, s, step.op, step.del)
			total += n
			if err != nil {
				return total, err
			}
			if n < cleanupBatch {
				break
			}
		}
	}
	return total, nil
}
