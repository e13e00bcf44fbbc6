package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// The RedisStore keeps a token family in three keys that share the hash
// tag {<family id>}, so they live in one Cluster slot and every script
// below touches one slot only:
//
//	<prefix>f:{<id>}    hash: uid, tid, cur and prev (hex hashes of the
//	                    current and previous refresh tokens), rot (the last
//	                    rotation), created, seen, idle, exp (unix ms), ip, ua
//	<prefix>f:{<id>}:r  set: hex hashes of every refresh token it issued
//	<prefix>f:{<id>}:a  hash: hex access-token hash → "<expiry ms> <uid> <tid>"
//
// all three expiring at the family's idle expiry, and a per-user index
//
//	<prefix>uf:<user id>  sorted set: family ids scored by absolute expiry (ms)
//
// written before the family (so DeleteUserSessions finds every family) and
// pruned by score. Looking up an access token is one HGET: deleting a
// family deletes its access tokens with it, in one command.

func (s *RedisStore) familyKeys(id uuid.UUID) []string {
	f := s.prefix + "f:{" + id.String() + "}"
	return []string{f, f + ":r", f + ":a"}
}

func (s *RedisStore) userFamiliesKey(id uuid.UUID) string { return s.prefix + "uf:" + id.String() }

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// createFamilyScript stores a family (KEYS: family, refresh set, access
// hash) unless its id is taken.
var createFamilyScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'tid', ARGV[2], 'cur', ARGV[3], 'prev', '', 'rot', '0',
  'created', ARGV[5], 'seen', ARGV[5], 'idle', ARGV[6], 'exp', ARGV[7], 'ip', ARGV[8], 'ua', ARGV[9], 'acc', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[4], ARGV[10])
for i = 1, 3 do redis.call('PEXPIREAT', KEYS[i], ARGV[6]) end
return 1
`)

// CreateFamily implements TokenStore.
func (s *RedisStore) CreateFamily(ctx context.Context, f Family, refresh, access TokenHash, accessExpiresAt time.Time) error {
	if err := indexScript.Run(ctx, s.client, []string{s.userFamiliesKey(f.UserID)}, f.ID.String(), ms(f.ExpiresAt), ms(f.CreatedAt)).Err(); err != nil {
		return redisError("index token family", err)
	}
	n, err := createFamilyScript.Run(ctx, s.client, s.familyKeys(f.ID),
		f.UserID.String(), tenantArg(f.TenantID), member(refresh), member(access),
		ms(f.CreatedAt), ms(f.IdleExpiresAt), ms(f.ExpiresAt), f.IP, f.UserAgent,
		accessValue(accessExpiresAt, f.UserID, f.TenantID)).Int()
	if err != nil {
		return redisError("create token family", err)
	}
	if n == 0 {
		return errors.New("session store: create token family: the id is taken")
	}
	return nil
}

func tenantArg(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

// accessValue is what the access hash holds for one access token.
func accessValue(expiry time.Time, userID, tenantID uuid.UUID) string {
	return ms(expiry) + " " + userID.String() + " " + tenantArg(tenantID)
}

// LookupAccess implements TokenStore: one HGET.
func (s *RedisStore) LookupAccess(ctx context.Context, familyID uuid.UUID, h TokenHash, now time.Time) (AccessGrant, bool, error) {
	v, err := s.client.HGet(ctx, s.familyKeys(familyID)[2], member(h)).Result()
	if errors.Is(err, redis.Nil) {
		return AccessGrant{}, false, nil
	}
	if err != nil {
		return AccessGrant{}, false, redisError("look up access token", err)
	}
	g, err := parseAccessValue(v)
	if err != nil {
		return AccessGrant{}, false, fmt.Errorf("session store: look up access token: %w", err)
	}
	if !g.ExpiresAt.After(now) {
		return AccessGrant{}, false, nil
	}
	g.FamilyID = familyID
	return g, true, nil
}

func parseAccessValue(v string) (AccessGrant, error) {
	f := strings.Split(v, " ")
	if len(f) != 3 {
		return AccessGrant{}, fmt.Errorf("access token record %q", v)
	}
	exp, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return AccessGrant{}, fmt.Errorf("access token expiry: %w", err)
	}
	g := AccessGrant{ExpiresAt: time.UnixMilli(exp)}
	if g.UserID, err = uuid.Parse(f[1]); err != nil {
		return AccessGrant{}, fmt.Errorf("access token user: %w", err)
	}
	if f[2] != "" {
		if g.TenantID, err = uuid.Parse(f[2]); err != nil {
			return AccessGrant{}, fmt.Errorf("access token tenant: %w", err)
		}
	}
	return g, nil
}

// refreshScript is RefreshFamily (KEYS: family, refresh set, access hash).
// ARGV: presented, next, access (hex hashes), now, grace start, idle
// expiry, access expiry (ms). It answers {outcome, uid, tid, rotated at,
// absolute expiry}. A rotation keeps the family's current access token
// (requests in flight with it still work) and drops older ones, so the
// access hash holds two at most and a rotation is O(1) however often the
// client refreshes.
var refreshScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'uid', 'tid', 'cur', 'prev', 'rot', 'idle', 'exp', 'acc')
if not f[1] or redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return {'none'} end
local now, exp = tonumber(ARGV[4]), tonumber(f[7])
local alive = now < tonumber(f[6]) and now < exp
if alive and f[3] == ARGV[1] then
  local idle = math.min(tonumber(ARGV[6]), exp)
  local aexp = math.min(tonumber(ARGV[7]), exp)
  redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'prev', ARGV[1], 'rot', ARGV[4], 'seen', ARGV[4], 'idle', idle, 'acc', ARGV[3])
  redis.call('SADD', KEYS[2], ARGV[2])
  local keep = f[8] and redis.call('HGET', KEYS[3], f[8])
  redis.call('DEL', KEYS[3])
  if keep and tonumber(string.match(keep, '^%d+')) > now then redis.call('HSET', KEYS[3], f[8], keep) end
  redis.call('HSET', KEYS[3], ARGV[3], aexp .. ' ' .. f[1] .. ' ' .. f[2])
  for i = 1, 3 do redis.call('PEXPIREAT', KEYS[i], idle) end
  return {'rotated', f[1], f[2], ARGV[4], f[7]}
end
if alive and f[4] == ARGV[1] and tonumber(f[5]) > tonumber(ARGV[5]) then
  return {'grace', f[1], f[2], f[5], f[7]}
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
if alive and f[3] ~= ARGV[1] then return {'reused'} end
return {'none'}
`)

// RefreshFamily implements TokenStore: one script.
func (s *RedisStore) RefreshFamily(ctx context.Context, r TokenRefresh) (RefreshResult, error) {
	res, err := refreshScript.Run(ctx, s.client, s.familyKeys(r.FamilyID),
		member(r.Presented), member(r.Next), member(r.Access),
		ms(r.Now), ms(r.GraceStart), ms(r.IdleExpiresAt), ms(r.AccessExpiresAt)).StringSlice()
	if err != nil {
		return RefreshResult{}, redisError("refresh token family", err)
	}
	var out RefreshResult
	switch res[0] {
	case "none":
		return RefreshResult{Outcome: RefreshNotFound}, nil
	case "reused":
		return RefreshResult{Outcome: RefreshReused}, nil
	case "rotated":
		out.Outcome = RefreshRotated
	case "grace":
		out.Outcome = RefreshGrace
	default:
		return RefreshResult{}, fmt.Errorf("session store: refresh token family: unexpected answer %q", res)
	}
	if len(res) != 5 {
		return RefreshResult{}, fmt.Errorf("session store: refresh token family: unexpected answer %q", res)
	}
	g, err := parseAccessValue("0 " + res[1] + " " + res[2])
	if err != nil {
		return RefreshResult{}, fmt.Errorf("session store: refresh token family: %w", err)
	}
	rot, err1 := strconv.ParseInt(res[3], 10, 64)
	exp, err2 := strconv.ParseInt(res[4], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return RefreshResult{}, fmt.Errorf("session store: refresh token family: %w", err)
	}
	out.UserID, out.TenantID = g.UserID, g.TenantID
	out.RotatedAt, out.ExpiresAt = time.UnixMilli(rot), time.UnixMilli(exp)
	return out, nil
}

// deleteFamilyScript deletes a family (KEYS: family, refresh set, access
// hash) if ARGV[1] is its user's id, or (ARGV[1] empty) if it issued the
// token with hex hash ARGV[2], refresh or access. It returns the family's
// user id, or "" when it deleted nothing.
var deleteFamilyScript = redis.NewScript(`
local uid = redis.call('HGET', KEYS[1], 'uid')
if not uid then return '' end
if ARGV[1] ~= '' then
  if uid ~= ARGV[1] then return '' end
elseif redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 0 and redis.call('HEXISTS', KEYS[3], ARGV[2]) == 0 then
  return ''
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return uid
`)

// RevokeFamily implements TokenStore.
func (s *RedisStore) RevokeFamily(ctx context.Context, familyID uuid.UUID, h TokenHash) error {
	uid, err := deleteFamilyScript.Run(ctx, s.client, s.familyKeys(familyID), "", member(h)).Text()
	if err != nil {
		return redisError("revoke token family", err)
	}
	if id, err := uuid.Parse(uid); err == nil {
		s.client.ZRem(ctx, s.userFamiliesKey(id), familyID.String()) // best effort; ages out by score
	}
	return nil
}

// DeleteUserFamily implements TokenStore.
func (s *RedisStore) DeleteUserFamily(ctx context.Context, userID, familyID uuid.UUID) (bool, error) {
	uid, err := deleteFamilyScript.Run(ctx, s.client, s.familyKeys(familyID), userID.String(), "").Text()
	if err != nil {
		return false, redisError("delete token family", err)
	}
	if uid == "" {
		return false, nil
	}
	s.client.ZRem(ctx, s.userFamiliesKey(userID), familyID.String()) // best effort; ages out by score
	return true, nil
}

// familyIDs returns the ids in userID's family index whose absolute
// expiry is after now, after pruning the others.
func (s *RedisStore) familyIDs(ctx context.Context, userID uuid.UUID, now time.Time) ([]uuid.UUID, error) {
	key := s.userFamiliesKey(userID)
	pipe := s.client.Pipeline()
	pipe.ZRemRangeByScore(ctx, key, "-inf", ms(now))
	members := pipe.ZRange(ctx, key, 0, -1)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, 0, len(members.Val()))
	for _, m := range members.Val() {
		if id, err := uuid.Parse(m); err == nil {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ListUserFamilies implements TokenStore.
func (s *RedisStore) ListUserFamilies(ctx context.Context, userID uuid.UUID, now time.Time) ([]Family, error) {
	ids, err := s.familyIDs(ctx, userID, now)
	if err != nil {
		return nil, redisError("list token families", err)
	}
	if len(ids) == 0 {
		return []Family{}, nil
	}
	pipe := s.client.Pipeline()
	gets := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		gets[i] = pipe.HGetAll(ctx, s.familyKeys(id)[0])
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, redisError("list token families", err)
	}
	out := make([]Family, 0, len(ids))
	for i, get := range gets {
		f, ok := parseFamily(ids[i], get.Val())
		if !ok || f.UserID != userID || !now.Before(f.IdleExpiresAt) || !now.Before(f.ExpiresAt) {
			continue // gone, expired, or not this store's
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b Family) int { return b.LastSeenAt.Compare(a.LastSeenAt) })
	return out[:min(len(out), maxListed)], nil
}

// parseFamily reads a family hash; ok is false when it is empty or
// malformed.
func parseFamily(id uuid.UUID, h map[string]string) (Family, bool) {
	f := Family{ID: id, IP: h["ip"], UserAgent: h["ua"]}
	var err error
	if f.UserID, err = uuid.Parse(h["uid"]); err != nil {
		return Family{}, false
	}
	if h["tid"] != "" {
		if f.TenantID, err = uuid.Parse(h["tid"]); err != nil {
			return Family{}, false
		}
	}
	for name, t := range map[string]*time.Time{"created": &f.CreatedAt, "seen": &f.LastSeenAt, "idle": &f.IdleExpiresAt, "exp": &f.ExpiresAt} {
		n, err := strconv.ParseInt(h[name], 10, 64)
		if err != nil {
			return Family{}, false
		}
		*t = time.UnixMilli(n).UTC()
	}
	return f, true
}

// deleteUserFamilies deletes every family of userID but keep. Families
// never move to another key, and the index is written before a family, so
// one pass finds every family created before it started.
func (s *RedisStore) deleteUserFamilies(ctx context.Context, userID, keep uuid.UUID) error {
	ids, err := s.familyIDs(ctx, userID, time.Now())
	if err != nil {
		return redisError("delete token families", err)
	}
	pipe := s.client.Pipeline()
	for _, id := range ids {
		if id != keep {
			// Eval, not Run: a pipeline cannot fall back from EVALSHA.
			deleteFamilyScript.Eval(ctx, pipe, s.familyKeys(id), userID.String(), "")
		}
	}
	if pipe.Len() == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return redisError("delete token families", err)
	}
	return nil
}
