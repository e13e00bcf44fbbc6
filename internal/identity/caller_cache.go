package identity

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// callerCache keeps Caller's answers for enabled users in memory, so that a
// request that only needs to say who is calling (GET /api/me, the pages)
// costs its session read and nothing more. It is a cache of identity's own
// tables, never a session record, and it never answers an authorization
// question: tenant requests check membership in their transaction.
//
// It is coherent with the database, not merely short-lived:
//   - It answers only while live: while WatchChanges listens for the
//     identity_changed notifications the tables' triggers send
//     (db/migrations/00016_identity_changes.sql). Before that, and from the
//     moment the listening connection fails until it listens again, every
//     Caller reads the database and nothing is kept.
//   - A notification forgets the user's (or the tenant's) entries, and so
//     does identity's own write once it has committed, so a client reads
//     its own change on the next request.
//   - A read fills the cache only if nothing it may concern was forgotten
//     since it started (its generation): otherwise a read that saw the row
//     before a change committed could store it after the change's
//     notification was handled. A read that stores first is forgotten when
//     the notification arrives. Forgetting a user counts in one of
//     genStripes counters (by the id), so a change of one user does not
//     stop reads of most others from filling the cache.
//   - Entries also expire after ttl, a bound for changes no trigger sees.
type callerCache struct {
	ttl time.Duration
	max int // entries; past it an arbitrary user's are dropped

	mu   sync.RWMutex
	live bool
	gen  uint64 // counts forgets of tenants, and resets
	// userGen counts forgets of users, by stripe (userStripe).
	userGen [genStripes]uint64
	byUser  map[uuid.UUID]map[uuid.UUID]callerEntry
	n       int
	// waiters are Sync calls waiting for their marker notification.
	waiters map[string]chan struct{}

	hits, misses atomic.Uint64
}

// callerEntry is one Caller answer: the user and, for the tenant it was
// asked about, their role in it (nil when they are not a member).
type callerEntry struct {
	user    User
	current *TenantRole
	expires time.Time
}

// genStripes is how many counters forgets of users are spread over.
const genStripes = 256

// userStripe is the user's counter: a byte of the id, which is random
// (gen_random_uuid), so users spread evenly.
func userStripe(id uuid.UUID) int { return int(id[15]) % genStripes }

// genOf is the generation of reads of the user: it grows whenever
// something is forgotten that such a read may have seen. Call with c.mu held.
func (c *callerCache) genOf(user uuid.UUID) uint64 { return c.gen + c.userGen[userStripe(user)] }

func newCallerCache(ttl time.Duration, max int) *callerCache {
	return &callerCache{ttl: ttl, max: max, byUser: map[uuid.UUID]map[uuid.UUID]callerEntry{}, waiters: map[string]chan struct{}{}}
}

// get returns the entry for user in tenant (uuid.Nil: no tenant), if live
// and fresh at now, and the generation a read that misses must hand to put.
func (c *callerCache) get(user, tenant uuid.UUID, now time.Time) (User, *TenantRole, uint64, bool) {
	c.mu.RLock()
	e, ok := c.byUser[user][tenant]
	gen, live := c.genOf(user), c.live
	c.mu.RUnlock()
	if !live || !ok || !now.Before(e.expires) {
		c.misses.Add(1)
		return User{}, nil, gen, false
	}
	c.hits.Add(1)
	if e.current != nil {
		cur := *e.current // the caller may change its copy
		return e.user, &cur, gen, true
	}
	return e.user, nil, gen, true
}

// put stores what a read that started at generation gen found, unless the
// cache is not live or something it may have seen was forgotten since.
func (c *callerCache) put(user, tenant uuid.UUID, u User, current *TenantRole, gen uint64, now time.Time) {
	e := callerEntry{user: u, expires: now.Add(c.ttl)}
	if current != nil {
		cur := *current
		e.current = &cur
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.genOf(user) != gen {
		return
	}
	m := c.byUser[user]
	if m == nil {
		for c.n >= c.max && len(c.byUser) > 0 {
			for id, old := range c.byUser {
				c.n -= len(old)
				delete(c.byUser, id)
				break
			}
		}
		m = map[uuid.UUID]callerEntry{}
		c.byUser[user] = m
	}
	if _, ok := m[tenant]; !ok {
		c.n++
	}
	m[tenant] = e
}

// forgetUser drops every entry of the user.
func (c *callerCache) forgetUser(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.userGen[userStripe(id)]++
	c.n -= len(c.byUser[id])
	delete(c.byUser, id)
}

// forgetTenant drops every entry that names the tenant. Tenants change
// rarely (a rename, a deletion); this walks the cache.
func (c *callerCache) forgetTenant(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for user, m := range c.byUser {
		if _, ok := m[id]; ok {
			delete(m, id)
			c.n--
			if len(m) == 0 {
				delete(c.byUser, user)
			}
		}
	}
}

// reset empties the cache and makes it live or not. Going dead releases
// every Sync waiting for a marker: with nothing cached, nothing is stale.
func (c *callerCache) reset(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.live = live
	c.byUser = map[uuid.UUID]map[uuid.UUID]callerEntry{}
	c.n = 0
	if !live {
		for marker, ch := range c.waiters {
			close(ch)
			delete(c.waiters, marker)
		}
	}
}

// wait registers a Sync marker and returns the channel closed when the
// marker's notification arrives (at once, when the cache is not live), and
// a function that unregisters it.
func (c *callerCache) wait(marker string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	c.mu.Lock()
	if c.live {
		c.waiters[marker] = ch
	} else {
		close(ch)
	}
	c.mu.Unlock()
	return ch, func() {
		c.mu.Lock()
		delete(c.waiters, marker)
		c.mu.Unlock()
	}
}

// arrived closes the channel of the Sync marker, if anyone waits for it.
func (c *callerCache) arrived(marker string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.waiters[marker]; ok {
		close(ch)
		delete(c.waiters, marker)
	}
}

// CallerCacheStats returns how many Caller calls the cache answered (hits)
// and how many read the database (misses), since the Service was made.
func (s *Service) CallerCacheStats() (hits, misses uint64) {
	if s.cache == nil {
		return 0, 0
	}
	return s.cache.hits.Load(), s.cache.misses.Load()
}
