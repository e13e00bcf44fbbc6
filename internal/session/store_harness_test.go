package session

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// storeHarness is one Store implementation plus a look at its storage from
// outside the Store interface.
type storeHarness struct {
	store Store
	// raw returns every stored key and value the test can see.
	raw func(t *testing.T) map[string][]byte
	// stored reports whether storage holds a record under h, expired or not.
	stored func(t *testing.T, h TokenHash) bool
	// indexed counts userID's entries in the per-user index, expired or not.
	indexed func(t *testing.T, userID uuid.UUID) int
	// expire runs the store's removal of expired records.
	expire func(t *testing.T)
	// put writes data under h straight into storage, past the Store and its
	// codec, indexed under userID unless that is uuid.Nil.
	put func(t *testing.T, h TokenHash, userID uuid.UUID, data []byte, expiry time.Time)
	// familyRecords counts what storage holds of token family id (rows,
	// keys), expired or not.
	familyRecords func(t *testing.T, id uuid.UUID) int
}

func postgresHarness(t *testing.T) storeHarness {
	pool := dbtest.New(t).App
	s := NewPostgresStore(pool)
	return storeHarness{
		store: s,
		raw: func(t *testing.T) map[string][]byte {
			rows, err := pool.Query(t.Context(), "SELECT token_hash, data FROM sessions")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[string][]byte{}
			for rows.Next() {
				var k, v []byte
				if err := rows.Scan(&k, &v); err != nil {
					t.Fatal(err)
				}
				out[string(k)] = v
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			// Every column of the token tables, as text (bytea as hex).
			rows, err = pool.Query(t.Context(), `
				SELECT 'token_families ' || t.id, t::text FROM token_families t
				UNION ALL SELECT 'refresh_tokens ' || encode(t.token_hash, 'hex'), t::text FROM refresh_tokens t
				UNION ALL SELECT 'access_tokens ' || encode(t.token_hash, 'hex'), t::text FROM access_tokens t`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var k, v string
				if err := rows.Scan(&k, &v); err != nil {
					t.Fatal(err)
				}
				out[k] = []byte(v)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		},
		familyRecords: func(t *testing.T, id uuid.UUID) int {
			var n int
			err := pool.QueryRow(t.Context(), `SELECT
				(SELECT count(*) FROM token_families WHERE id = $1) +
				(SELECT count(*) FROM refresh_tokens WHERE family_id = $1) +
				(SELECT count(*) FROM access_tokens WHERE family_id = $1)`, id).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			return n
		},
		stored: func(t *testing.T, h TokenHash) bool {
			var ok bool
			if err := pool.QueryRow(t.Context(), "SELECT EXISTS (SELECT FROM sessions WHERE token_hash = $1)", h[:]).Scan(&ok); err != nil {
				t.Fatal(err)
			}
			return ok
		},
		indexed: func(t *testing.T, userID uuid.UUID) int {
			var n int
			if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM sessions WHERE user_id = $1", userID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
		expire: func(t *testing.T) {
			if _, err := s.DeleteExpired(t.Context()); err != nil {
				t.Fatal(err)
			}
		},
		put: func(t *testing.T, h TokenHash, userID uuid.UUID, data []byte, expiry time.Time) {
			_, err := pool.Exec(t.Context(), "INSERT INTO sessions (token_hash, user_id, data, expires_at) VALUES ($1, $2, $3, $4)",
				h[:], nullUUID(userID), data, expiry)
			if err != nil {
				t.Fatal(err)
			}
		},
	}
}

func redisHarness(t *testing.T) storeHarness { return redisStoreHarness(newRedisStore(t)) }

func redisClusterHarness(t *testing.T) storeHarness {
	return redisStoreHarness(newRedisClusterStore(t))
}

func redisStoreHarness(s *RedisStore, c redis.UniversalClient) storeHarness {
	return storeHarness{
		store: s,
		raw: func(t *testing.T) map[string][]byte {
			out := map[string][]byte{}
			for _, k := range scanKeys(t, t.Context(), c, s.prefix) {
				switch typ := c.Type(t.Context(), k).Val(); typ {
				case "string":
					out[k], _ = c.Get(t.Context(), k).Bytes()
				case "zset":
					out[k] = []byte(strings.Join(c.ZRange(t.Context(), k, 0, -1).Val(), "\n"))
				case "set":
					out[k] = []byte(strings.Join(c.SMembers(t.Context(), k).Val(), "\n"))
				case "hash":
					var b strings.Builder
					for f, v := range c.HGetAll(t.Context(), k).Val() {
						b.WriteString(f + "=" + v + "\n")
					}
					out[k] = []byte(b.String())
				case "none": // expired since the scan
				default:
					t.Fatalf("key %s has unexpected type %s", k, typ)
				}
			}
			return out
		},
		stored: func(t *testing.T, h TokenHash) bool {
			n, err := c.Exists(t.Context(), s.tokenKey(h)).Result()
			if err != nil {
				t.Fatal(err)
			}
			return n > 0
		},
		indexed: func(t *testing.T, userID uuid.UUID) int {
			n, err := c.ZCard(t.Context(), s.userKey(userID)).Result()
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		},
		familyRecords: func(t *testing.T, id uuid.UUID) int {
			n, err := c.Exists(t.Context(), s.familyKeys(id)...).Result()
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		},
		expire: func(*testing.T) {}, // Redis expires keys itself
		put: func(t *testing.T, h TokenHash, userID uuid.UUID, data []byte, expiry time.Time) {
			if userID != uuid.Nil {
				if err := s.index(t.Context(), userID, h, expiry); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.SetArgs(t.Context(), s.tokenKey(h), data, redis.SetArgs{ExpireAt: expiry}).Err(); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// storeImpls lists every Store implementation; each test that takes one
// runs against all.
var storeImpls = []struct {
	name    string
	harness func(t *testing.T) storeHarness
}{
	{"postgres", postgresHarness},
	{"redis", redisHarness},
	{"redis-cluster", redisClusterHarness},
}
