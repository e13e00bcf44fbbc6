package session

import (
	"context"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// request is what the Manager keeps for one request beside scs's data:
// Current's check of the session scs loaded (expiry, touch), done once.
type request struct {
	once sync.Once
	sess Session
	err  error
}

type requestKey struct{}

func requestFrom(ctx context.Context) (*request, error) {
	req, ok := ctx.Value(requestKey{}).(*request)
	if !ok {
		return nil, errNoMiddleware
	}
	return req, nil
}

// Marks on the context of one scs call, for scsStore.
type (
	creating struct{} // Login's commit of its new record
	moving   struct{} // SwitchTenant's token renewal; RotateCtx moves the old record
)

// scsStore is the Store as scs sees it. scs reads and deletes records
// through it; the Manager decides which writes happen:
//
//   - A record that cannot be decoded (corrupt, or from a codec version
//     this server does not know), or that holds no session, decodes as an
//     empty one (codec.Decode), which LoadAndSave destroys: deleted, cookie cleared,
//     the request anonymous rather than failing for as long as the cookie
//     lives.
//   - CommitCtx writes only Login's commit. Any other is scs's at the end of
//     the request, of a record that Login or SwitchTenant has stored
//     already; writing it again could bring back a session revoked since.
//   - DeleteCtx keeps the old record while SwitchTenant renews the token:
//     RotateCtx moves it instead.
//
// The embedded scs.Store is nil: scs calls only the Ctx methods.
type scsStore struct {
	scs.Store
	store Store
}

var _ scs.CtxStore = scsStore{}

// FindCtx implements scs.CtxStore.
func (a scsStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	// A record that does not decode is decoded once, by codec.Decode,
	// which reads it as one without a session; LoadAndSave then deletes it.
	return a.store.FindCtx(ctx, token)
}

// CommitCtx implements scs.CtxStore.
func (a scsStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if ctx.Value(creating{}) == nil {
		return nil
	}
	return a.store.CommitCtx(ctx, token, b, expiry)
}

// DeleteCtx implements scs.CtxStore.
func (a scsStore) DeleteCtx(ctx context.Context, token string) error {
	if ctx.Value(moving{}) != nil {
		return nil
	}
	return a.store.DeleteCtx(ctx, token)
}
