package session

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// beforeFirstDelete runs fn once, right before the first pipeline of DELs
// reaches Redis.
type beforeFirstDelete struct {
	once sync.Once
	fn   func(ctx context.Context)
}

func (h *beforeFirstDelete) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h *beforeFirstDelete) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h *beforeFirstDelete) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && strings.EqualFold(cmds[0].Name(), "del") {
			h.once.Do(func() { h.fn(ctx) })
		}
		return next(ctx, cmds)
	}
}

// A tenant switch that moves a session after RevokeAll listed the user's
// sessions but before it deleted them does not escape: the rotation indexes
// and creates the new key before it deletes the old one, and RevokeAll
// makes a second pass.
func TestRedisRevokeAllRacingRotation(t *testing.T) {
	s, c := newRedisStore(t)
	user := uuid.New()
	old, next := newToken(), newToken()
	now := time.Now().UTC()
	b := encode(t, Session{ID: uuid.New(), UserID: user, CreatedAt: now, LastSeenAt: now}, now.Add(time.Hour))
	if err := s.CommitCtx(t.Context(), old, b, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c.AddHook(&beforeFirstDelete{fn: func(ctx context.Context) {
		if found, err := s.RotateCtx(ctx, old, next, b, now.Add(time.Hour)); err != nil || !found {
			t.Errorf("RotateCtx = %v, %v; want true, nil", found, err)
		}
	}})
	if err := s.DeleteUserSessions(t.Context(), user, TokenHash{}, uuid.Nil); err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{"old": old, "new": next} {
		if _, found, err := s.FindCtx(t.Context(), token); err != nil || found {
			t.Errorf("after RevokeAll: FindCtx(%s) = %v, %v; want not found", name, found, err)
		}
	}
}
