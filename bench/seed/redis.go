package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Redis keys, as session.RedisStore lays them out (store_redis.go, whose
// helpers are unexported):
//
//	<prefix>t:<hex token hash>  the record, expiring at the session's end
//	<prefix>u:<user id>         the user's index: a sorted set of hex token
//	                            hashes scored by expiry (unix ms), expiring
//	                            with its latest member
//
// bench/sessionlookup reads a sample back through the store (FindCtx and
// ListUser) before it measures, so a layout change shows up there.
func (s *seeder) tokenKey(h []byte) string    { return s.cfg.redisPrefix + "t:" + hex.EncodeToString(h) }
func (s *seeder) userKey(id uuid.UUID) string { return s.cfg.redisPrefix + "u:" + id.String() }

func (s *seeder) redisPresent(ctx context.Context, i int) (bool, error) {
	h := tokenHash(s.cfg.seed, i)
	n, err := s.rdb.Exists(ctx, s.tokenKey(h[:])).Result()
	return n > 0, err
}

// Redis writes go in pipelines of redisBatch sessions (three commands
// each), redisWorkers at a time, so neither the client nor the server waits
// on the other.
const (
	redisBatch   = 1000
	redisWorkers = 2
)

// writeRedisSessions writes sessions [from, to) as RedisStore.CommitCtx
// would: the index member and its expiry first, then the record.
func (s *seeder) writeRedisSessions(ctx context.Context, from, to int) error {
	var next atomic.Int64
	next.Store(int64(from))
	errs := make([]error, redisWorkers)
	var wg sync.WaitGroup
	for w := range redisWorkers {
		wg.Go(func() {
			for {
				lo := int(next.Add(redisBatch)) - redisBatch
				if lo >= to || ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				if err := s.writeRedisBatch(ctx, lo, min(lo+redisBatch, to)); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *seeder) writeRedisBatch(ctx context.Context, from, to int) error {
	pipe := s.rdb.Pipeline()
	for i := from; i < to; i++ {
		sess := s.session(i)
		user := s.userKey(sess.userID)
		pipe.ZAdd(ctx, user, redis.Z{Score: float64(s.deadline.UnixMilli()), Member: hex.EncodeToString(sess.hash[:])})
		pipe.PExpireAt(ctx, user, s.deadline)
		pipe.SetArgs(ctx, s.tokenKey(sess.hash[:]), sess.data, redis.SetArgs{ExpireAt: s.deadline})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("sessions %d to %d: %w", from, to-1, err)
	}
	return nil
}

// deleteRedisKeys deletes every key under prefix, on every master of a
// Cluster, and returns how many it deleted.
func deleteRedisKeys(ctx context.Context, rdb redis.UniversalClient, prefix string) (int64, error) {
	var total atomic.Int64
	del := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, globEscape(prefix)+"*", 1000).Iterator()
		// UNLINK blocks Redis while it frees the keys (a few µs each): in
		// batches of a thousand, other clients wait milliseconds at most.
		batch := make([]string, 0, 1000)
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			n, err := c.Unlink(ctx, batch...).Result()
			total.Add(n)
			batch = batch[:0]
			return err
		}
		for iter.Next(ctx) {
			if batch = append(batch, iter.Val()); len(batch) == cap(batch) {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	}
	var err error
	switch c := rdb.(type) {
	case *redis.Client:
		err = del(ctx, c)
	case *redis.ClusterClient:
		// Keys of one batch may be in different slots: delete each alone.
		err = c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			iter := m.Scan(ctx, 0, globEscape(prefix)+"*", 1000).Iterator()
			for iter.Next(ctx) {
				n, err := m.Unlink(ctx, iter.Val()).Result()
				if err != nil {
					return err
				}
				total.Add(n)
			}
			return iter.Err()
		})
	default:
		err = fmt.Errorf("unsupported redis client %T", rdb)
	}
	if err != nil {
		return total.Load(), fmt.Errorf("delete redis keys under %s: %w", prefix, err)
	}
	return total.Load(), nil
}

// globEscape quotes the characters SCAN's MATCH pattern gives a meaning.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
