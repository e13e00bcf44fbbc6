package session

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// stateKey is the context key of a request's requestState.
type stateKey struct{}

// requestState is what the Manager knows about one request's session.
type requestState struct {
	// mu guards the cache of Current: a second call neither reads nor
	// touches the store again, and Login/SwitchTenant/Logout update what
	// it returns. Current holds it while it may reach the store.
	mu       sync.Mutex
	resolved bool
	sess     Session
	err      error

	// tokens guards what scsStore needs to know, apart from mu because
	// scsStore runs inside Current.
	tokens sync.Mutex
	// renewing is true while the Manager has scs issue a new token; the
	// Manager deletes or moves the old token's record itself.
	renewing bool
	// issued is the last token scs issued for the request, and written
	// whether its record is in the store yet.
	issued  string
	written bool
	// failed is why the issued token's record could not be written.
	failed error
	// discarded is set when the cookie named a record that could not be
	// decoded; the record is gone and the cookie is to be cleared.
	discarded bool
}

func (st *requestState) set(s Session, err error) {
	st.mu.Lock()
	st.sess, st.err, st.resolved = s, err, true
	st.mu.Unlock()
}

func stateFrom(ctx context.Context) (*requestState, error) {
	st, ok := ctx.Value(stateKey{}).(*requestState)
	if !ok {
		return nil, errNoMiddleware
	}
	return st, nil
}

// errUnwritten refuses to let scs create a record: only Login creates one,
// and it writes it itself.
var errUnwritten = errors.New("session: refusing to commit a session record the Manager did not write")

// scsStore is the store scs sees. The Manager writes every new record
// itself, before Login or SwitchTenant returns (so it can fail them, and so
// a revocation after that point finds the record), which leaves scs's
// share of the request cycle to reading the record and setting the cookie:
//
//   - FindCtx treats a record it cannot decode as no record (deleting it)
//     rather than failing every request that carries its cookie.
//   - CommitCtx never writes: the record is already stored. It fails the
//     request when the record could not be stored, so no cookie names it.
//   - DeleteCtx skips the old token while scs renews it, and a token whose
//     record was never written.
type scsStore struct{ m *Manager }

var _ scs.CtxStore = scsStore{}

// FindCtx implements scs.CtxStore.
func (a scsStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	b, found, err := a.m.store.FindCtx(ctx, token)
	if err != nil || !found {
		return nil, false, err
	}
	_, _, ok, err := decodeRecord(b)
	if err == nil && !ok {
		err = errors.New("session: record holds no session")
	}
	if err != nil {
		a.m.discard(ctx, token, err)
		return nil, false, nil
	}
	return b, true, nil
}

// CommitCtx implements scs.CtxStore.
func (a scsStore) CommitCtx(ctx context.Context, token string, _ []byte, _ time.Time) error {
	st, err := stateFrom(ctx)
	if err != nil {
		return err
	}
	st.tokens.Lock()
	defer st.tokens.Unlock()
	switch {
	case token == st.issued && st.written:
		return nil
	case st.failed != nil:
		return st.failed
	}
	return errUnwritten
}

// DeleteCtx implements scs.CtxStore.
func (a scsStore) DeleteCtx(ctx context.Context, token string) error {
	if st, err := stateFrom(ctx); err == nil {
		st.tokens.Lock()
		skip := st.renewing || token == st.issued && !st.written
		st.tokens.Unlock()
		if skip {
			return nil
		}
	}
	return a.m.store.DeleteCtx(ctx, token)
}

// Find, Commit and Delete satisfy scs.Store; scs calls the Ctx variants.

// Find implements scs.Store. It always fails: use FindCtx.
func (scsStore) Find(string) ([]byte, bool, error) { return nil, false, errNoContext }

// Commit implements scs.Store. It always fails: use CommitCtx.
func (scsStore) Commit(string, []byte, time.Time) error { return errNoContext }

// Delete implements scs.Store. It always fails: use DeleteCtx.
func (scsStore) Delete(string) error { return errNoContext }
