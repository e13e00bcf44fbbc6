package session

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

var _ Store = (*RedisStore)(nil)

// DefaultRedisPrefix prefixes every key a RedisStore writes.
const DefaultRedisPrefix = "tenantkit:session:"

// RedisStore keeps sessions in Redis (a single node or a Cluster):
//
//	<prefix>t:<hex token hash>  the session's data, expiring at its expiry (SET … PXAT)
//	<prefix>u:<user id>         the user's index: a sorted set of hex token
//	                            hashes scored by expiry (unix ms), expiring
//	                            with its latest member
//
// and the token families of store_redis_tokens.go, whose keys share a
// Cluster slot per family.
//
// No session command spans two keys, so keys may live in different Cluster slots;
// go-redis splits pipelines by slot. It needs Redis (or Valkey) 6.2 or
// later (SET … PXAT, GETDEL, ZRANGE … BYSCORE REV) with Lua scripting.
//
// Invariant: every live session key has a member in its user's index whose
// score is at least the key's expiry, so RevokeAll cannot miss a session.
// Hence the index is written before the key, and a member is removed only
// by score or after its key is gone. Members whose key is gone (a deleted
// session) are skipped when listing and age out by score.
type RedisStore struct {
	client redis.UniversalClient
	prefix string
}

// NewRedisStore returns a store on client whose keys start with prefix
// (DefaultRedisPrefix when empty).
func NewRedisStore(client redis.UniversalClient, prefix string) *RedisStore {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	return &RedisStore{client: client, prefix: prefix}
}

func (s *RedisStore) tokenKey(h TokenHash) string { return s.prefix + "t:" + hex.EncodeToString(h[:]) }
func (s *RedisStore) userKey(id uuid.UUID) string { return s.prefix + "u:" + id.String() }
func member(h TokenHash) string                   { return hex.EncodeToString(h[:]) }
func scoreOf(t time.Time) string                  { return strconv.FormatInt(t.UnixMilli(), 10) }

// indexScript adds or rescores one member of a user's index, prunes expired
// members and makes the index expire with its latest member. It touches
// only KEYS[1], so it is Cluster-safe.
var indexScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1
`)

func (s *RedisStore) index(ctx context.Context, uid uuid.UUID, h TokenHash, expiry time.Time) error {
	err := indexScript.Run(ctx, s.client, []string{s.userKey(uid)}, member(h), scoreOf(expiry), scoreOf(time.Now())).Err()
	if err != nil {
		return redisError("index session", err)
	}
	return nil
}

// FindCtx implements Store.
func (s *RedisStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	h, ok := hashToken(token)
	if !ok {
		return nil, false, nil
	}
	b, err := s.client.Get(ctx, s.tokenKey(h)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, redisError("find session", err)
	}
	return b, true, nil
}

// CommitCtx implements Store.
func (s *RedisStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	h, ok := hashToken(token)
	if !ok {
		return errMalformedToken
	}
	uid, err := userIDOf(b)
	if err != nil {
		return err
	}
	if !expiry.After(time.Now()) {
		return s.DeleteCtx(ctx, token)
	}
	if uid != uuid.Nil {
		if err := s.index(ctx, uid, h, expiry); err != nil {
			return err
		}
	}
	if err := s.client.SetArgs(ctx, s.tokenKey(h), b, redis.SetArgs{ExpireAt: expiry}).Err(); err != nil {
		return redisError("commit session", err)
	}
	return nil
}

// TouchCtx implements Store.
func (s *RedisStore) TouchCtx(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	h, ok := hashToken(token)
	if !ok {
		return false, nil
	}
	uid, err := userIDOf(b)
	if err != nil {
		return false, err
	}
	if !expiry.After(time.Now()) {
		return false, s.DeleteCtx(ctx, token)
	}
	if uid != uuid.Nil {
		if err := s.index(ctx, uid, h, expiry); err != nil {
			return false, err
		}
	}
	err = s.client.SetArgs(ctx, s.tokenKey(h), b, redis.SetArgs{ExpireAt: expiry, Mode: "XX"}).Err()
	switch {
	case errors.Is(err, redis.Nil):
		if uid != uuid.Nil {
			// Best effort: a member left behind ages out by score.
			s.client.ZRem(ctx, s.userKey(uid), member(h))
		}
		return false, nil
	case err != nil:
		return false, redisError("touch session", err)
	}
	return true, nil
}

// RotateCtx implements Store. No command may span the two token keys (they
// can live in different Cluster slots), so it orders its steps instead:
// index the new key, create it, then delete the old one, and undo the new
// one when the old was already gone. The new key thus exists and is indexed
// before the old one goes, which DeleteUserSessions relies on.
func (s *RedisStore) RotateCtx(ctx context.Context, oldToken, newToken string, b []byte, expiry time.Time) (bool, error) {
	rot, err := parseRotation(oldToken, newToken, b, expiry)
	switch {
	case err != nil || rot.skip:
		return false, err
	case rot.expired:
		return false, s.DeleteCtx(ctx, oldToken)
	}
	oldHash, newHash, uid := rot.oldHash, rot.newHash, rot.userID
	if uid != uuid.Nil {
		if err := s.index(ctx, uid, newHash, expiry); err != nil {
			return false, err
		}
	}
	newKey := s.tokenKey(newHash)
	err = s.client.SetArgs(ctx, newKey, b, redis.SetArgs{ExpireAt: expiry, Mode: "NX"}).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, errors.New("session store: rotate session: the new token is taken")
	case err != nil:
		return false, redisError("rotate session", err)
	}
	n, err := s.client.Del(ctx, s.tokenKey(oldHash)).Result()
	if err != nil || n == 0 {
		// The old session is gone (revoked, logged out, expired) or its
		// fate is unknown: take the new one back. Should that fail too,
		// nobody holds the new token, and it is indexed, so it expires or
		// is revoked like any other.
		if delErr := s.client.Del(ctx, newKey).Err(); delErr != nil && err == nil {
			err = delErr
		}
		if err != nil {
			return false, redisError("rotate session", err)
		}
		if uid != uuid.Nil {
			s.client.ZRem(ctx, s.userKey(uid), member(newHash)) // best effort; ages out by score
		}
		return false, nil
	}
	if uid != uuid.Nil {
		s.client.ZRem(ctx, s.userKey(uid), member(oldHash)) // best effort, as in DeleteCtx
	}
	return true, nil
}

// DeleteCtx implements Store.
func (s *RedisStore) DeleteCtx(ctx context.Context, token string) error {
	h, ok := hashToken(token)
	if !ok {
		return nil
	}
	b, err := s.client.GetDel(ctx, s.tokenKey(h)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return redisError("delete session", err)
	}
	// The session is gone; drop its index member. Should this fail, the
	// member is skipped when listing and ages out by score.
	if uid, err := userIDOf(b); err == nil && uid != uuid.Nil {
		if err := s.client.ZRem(ctx, s.userKey(uid), member(h)).Err(); err != nil {
			return redisError("delete session", err)
		}
	}
	return nil
}

// ListUser implements Store.
func (s *RedisStore) ListUser(ctx context.Context, userID uuid.UUID) ([]Record, error) {
	hashes, expiries, err := s.members(ctx, userID, maxListed)
	if err != nil {
		return nil, redisError("list sessions", err)
	}
	if len(hashes) == 0 {
		return []Record{}, nil
	}
	pipe := s.client.Pipeline()
	gets := make([]*redis.StringCmd, len(hashes))
	for i, h := range hashes {
		gets[i] = pipe.Get(ctx, s.tokenKey(h))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, redisError("list sessions", err)
	}
	recs := make([]Record, 0, len(hashes))
	for i, get := range gets {
		b, err := get.Bytes()
		if errors.Is(err, redis.Nil) {
			continue // deleted; the member ages out
		}
		if err != nil {
			return nil, redisError("list sessions", err)
		}
		recs = append(recs, Record{Hash: hashes[i], Data: b, ExpiresAt: expiries[i]})
	}
	return recs, nil
}

// members returns the unexpired members of userID's index, latest expiry
// first, after pruning expired ones.
func (s *RedisStore) members(ctx context.Context, userID uuid.UUID, limit int64) ([]TokenHash, []time.Time, error) {
	key := s.userKey(userID)
	now := scoreOf(time.Now())
	pipe := s.client.Pipeline()
	pipe.ZRemRangeByScore(ctx, key, "-inf", now)
	zs := pipe.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{
		Key: key, Start: "+inf", Stop: "(" + now, ByScore: true, Rev: true, Count: limit,
	})
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, err
	}
	hashes := make([]TokenHash, 0, len(zs.Val()))
	expiries := make([]time.Time, 0, len(zs.Val()))
	for _, z := range zs.Val() {
		var h TokenHash
		m, _ := z.Member.(string)
		if n, err := hex.Decode(h[:], []byte(m)); err != nil || n != len(h) {
			continue // not written by this store
		}
		hashes = append(hashes, h)
		expiries = append(expiries, time.UnixMilli(int64(z.Score)))
	}
	return hashes, expiries, nil
}

// DeleteUserSession implements Store.
func (s *RedisStore) DeleteUserSession(ctx context.Context, userID uuid.UUID, h TokenHash) (bool, error) {
	err := s.client.ZScore(ctx, s.userKey(userID), member(h)).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil // not this user's
	}
	if err != nil {
		return false, redisError("delete session", err)
	}
	n, err := s.client.Del(ctx, s.tokenKey(h)).Result()
	if err != nil {
		return false, redisError("delete session", err)
	}
	if err := s.client.ZRem(ctx, s.userKey(userID), member(h)).Err(); err != nil {
		return false, redisError("delete session", err)
	}
	return n > 0, nil
}

// DeleteUserSessions implements Store. It deletes the session keys and
// leaves their index members to age out: removing a member is only safe
// once its key is gone, and a login racing this call may be about to write
// the key of a member read here.
//
// It makes two passes. A RotateCtx racing the first may have moved a
// session to a key the first did not list; but it indexed and created that
// key before deleting the old one, so once the first pass has deleted (or
// found gone) every old key, the second lists and deletes the new one. Only
// a further rotation of that new key between the second pass's listing and
// its delete could escape, which would need the client to receive the new
// token and come back within that one round trip.
//
// Then it deletes the user's token families but keepFamily
// (deleteUserFamilies).
func (s *RedisStore) DeleteUserSessions(ctx context.Context, userID uuid.UUID, keep TokenHash, keepFamily uuid.UUID) error {
	if err := s.deleteUserSessions(ctx, userID, keep); err != nil {
		return err
	}
	return s.deleteUserFamilies(ctx, userID, keepFamily)
}

func (s *RedisStore) deleteUserSessions(ctx context.Context, userID uuid.UUID, keep TokenHash) error {
	for range 2 {
		hashes, _, err := s.members(ctx, userID, -1)
		if err != nil {
			return redisError("delete sessions", err)
		}
		pipe := s.client.Pipeline()
		for _, h := range hashes {
			if h != keep {
				pipe.Del(ctx, s.tokenKey(h))
			}
		}
		if pipe.Len() == 0 {
			return nil
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return redisError("delete sessions", err)
		}
	}
	return nil
}

// Ping implements Store.
func (s *RedisStore) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return redisError("ping", err)
	}
	return nil
}

// outageReplies are the error replies of a server that cannot serve now.
var outageReplies = []string{"LOADING", "BUSY", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "READONLY", "max number of clients"}

// redisError wraps err, marking outages with ErrUnavailable: anything that
// is not an error reply from Redis (refused, reset, timed out, closed,
// pool exhausted) and the replies of a server that cannot serve right now.
func redisError(op string, err error) error {
	unavailable := !errors.Is(err, context.Canceled)
	if _, ok := errors.AsType[redis.Error](err); ok {
		unavailable = slices.ContainsFunc(outageReplies, func(p string) bool { return redis.HasErrorPrefix(err, p) })
	}
	if unavailable {
		return fmt.Errorf("session store: %s: %w: %w", op, ErrUnavailable, err)
	}
	return fmt.Errorf("session store: %s: %w", op, err)
}
