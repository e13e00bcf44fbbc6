package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/session/internal/sessiondb"
)

// StoreConfig names the session store a deployment's servers use. serve
// records it in the database at start-up (RecordStoreConfig), so that a
// command that revokes sessions from outside the server (`users disable`)
// can refuse to run on another store, where it would revoke nothing. It
// never holds a Redis address or password.
type StoreConfig struct {
	Kind        string // "postgres" or "redis"
	RedisPrefix string // the RedisStore's key prefix; "" for postgres
}

// String describes c in the server's configuration variables.
func (c StoreConfig) String() string {
	if c.Kind == "redis" {
		return fmt.Sprintf("SESSION_STORE=redis REDIS_KEY_PREFIX=%s", c.RedisPrefix)
	}
	return "SESSION_STORE=" + c.Kind
}

// RecordStoreConfig records c as the session store of the servers on pool's
// database (the runtime role's). The last server to start wins.
func RecordStoreConfig(ctx context.Context, pool *pgxpool.Pool, c StoreConfig) error {
	if c.Kind != "postgres" && c.Kind != "redis" || (c.Kind == "redis") != (c.RedisPrefix != "") {
		return fmt.Errorf("record session store: invalid %+v", c)
	}
	err := sessiondb.New(pool).RecordStoreConfig(ctx, sessiondb.RecordStoreConfigParams{Kind: c.Kind, RedisKeyPrefix: c.RedisPrefix})
	if err != nil {
		return pgError("record session store", err)
	}
	return nil
}

// RecordedStoreConfig returns the session store a server recorded last, and
// when; found is false when no server has recorded one.
func RecordedStoreConfig(ctx context.Context, pool *pgxpool.Pool) (c StoreConfig, at time.Time, found bool, err error) {
	row, err := sessiondb.New(pool).GetStoreConfig(ctx)
	if errors.Is(err, pgx.ErrNoRows) {
		return StoreConfig{}, time.Time{}, false, nil
	}
	if err != nil {
		return StoreConfig{}, time.Time{}, false, pgError("read the recorded session store", err)
	}
	return StoreConfig{Kind: row.Kind, RedisPrefix: row.RedisKeyPrefix}, row.UpdatedAt, true, nil
}
