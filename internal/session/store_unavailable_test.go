package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// unreachableStores returns each store pointed at a server that is not
// there.
func unreachableStores(t *testing.T) map[string]Store {
	cfg, err := pgxpool.ParseConfig("postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg) // connects lazily
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { rc.Close() })
	return map[string]Store{
		"postgres": NewPostgresStore(pool),
		"redis":    NewRedisStore(rc, ""),
	}
}

func TestStoreUnavailable(t *testing.T) {
	for name, st := range unreachableStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			token := newToken()
			b := encode(t, Session{ID: uuid.New(), UserID: uuid.New()}, time.Now().Add(time.Hour))
			calls := map[string]error{
				"FindCtx":   func() error { _, _, err := st.FindCtx(ctx, token); return err }(),
				"CommitCtx": st.CommitCtx(ctx, token, b, time.Now().Add(time.Hour)),
				"TouchCtx": func() error {
					_, err := st.TouchCtx(ctx, token, b, time.Now().Add(time.Hour))
					return err
				}(),
				"DeleteCtx":          st.DeleteCtx(ctx, token),
				"ListUser":           func() error { _, err := st.ListUser(ctx, uuid.New()); return err }(),
				"DeleteUserSession":  func() error { _, err := st.DeleteUserSession(ctx, uuid.New(), TokenHash{1}); return err }(),
				"DeleteUserSessions": st.DeleteUserSessions(ctx, uuid.New(), TokenHash{}, uuid.Nil),
				"Ping":               st.Ping(ctx),
			}
			for call, err := range tokenStoreCalls(ctx) {
				calls[call] = err(st)
			}
			for call, err := range calls {
				if !errors.Is(err, ErrUnavailable) {
					t.Errorf("%s: err = %v, want ErrUnavailable", call, err)
				}
			}
		})
	}
}

func TestRedisErrorClassification(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{redis.ErrClosed, true},
		{redis.ErrPoolTimeout, true},
		{context.DeadlineExceeded, true},
		{context.Canceled, false},
		{proto("LOADING Redis is loading the dataset in memory"), true},
		{proto("CLUSTERDOWN The cluster is down"), true},
		{proto("READONLY You can't write against a read only replica."), true},
		{proto("WRONGTYPE Operation against a key holding the wrong kind of value"), false},
		{proto("NOPERM this user has no permissions"), false},
	}
	for _, tt := range tests {
		got := errors.Is(redisError("op", tt.err), ErrUnavailable)
		if got != tt.want {
			t.Errorf("redisError(%v) is ErrUnavailable = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// proto is an error reply from Redis.
type proto string

func (e proto) Error() string { return string(e) }
func (proto) RedisError()     {}

// tokenStoreCalls calls each TokenStore method.
func tokenStoreCalls(ctx context.Context) map[string]func(TokenStore) error {
	now := time.Now()
	f := Family{ID: uuid.New(), UserID: uuid.New(), CreatedAt: now, LastSeenAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)}
	return map[string]func(TokenStore) error{
		"CreateFamily": func(st TokenStore) error {
			return st.CreateFamily(ctx, f, TokenHash{1}, TokenHash{2}, now.Add(time.Minute))
		},
		"LookupAccess": func(st TokenStore) error { _, _, err := st.LookupAccess(ctx, f.ID, TokenHash{2}, now); return err },
		"RefreshFamily": func(st TokenStore) error {
			_, err := st.RefreshFamily(ctx, TokenRefresh{FamilyID: f.ID, Presented: TokenHash{1}, Now: now})
			return err
		},
		"RevokeFamily":     func(st TokenStore) error { return st.RevokeFamily(ctx, f.ID, TokenHash{1}) },
		"ListUserFamilies": func(st TokenStore) error { _, err := st.ListUserFamilies(ctx, f.UserID, now); return err },
		"DeleteUserFamily": func(st TokenStore) error { _, err := st.DeleteUserFamily(ctx, f.UserID, f.ID); return err },
	}
}
