package identity

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// TestCallerCacheRules: the cache's rules, without a database.
func TestCallerCacheRules(t *testing.T) {
	now := time.Now()
	user, tenant := uuid.New(), uuid.New()
	other := user // another user, whose forgets count in another stripe
	other[15] ^= 1
	sameStripe := uuid.New() // another user, in the same stripe
	sameStripe[15] = user[15]
	u := User{ID: user, Name: "A"}
	role := &TenantRole{Tenant: Tenant{ID: tenant, Name: "T"}, Role: RoleAdmin}

	// fill is a read that misses, with between happening while it reads
	// the database, then stores what it read.
	fill := func(c *callerCache, between func(c *callerCache)) {
		_, _, gen, _ := c.get(user, tenant, now)
		if between != nil {
			between(c)
		}
		r := *role
		c.put(user, tenant, u, &r, gen, now)
		r.Role = RoleViewer // the reader's copy stays its own
	}
	tests := []struct {
		name           string
		between, after func(c *callerCache) // during the read, after it stored
		at             time.Duration        // when the entry is asked for, after now
		hit            bool
	}{
		{name: "a read stores", hit: true},
		{name: "expired after the ttl", at: time.Minute},
		// The read may predate the change the forget reports.
		{name: "a read overtaken by a forget of the user stores nothing", between: func(c *callerCache) { c.forgetUser(user) }},
		{name: "a read overtaken by a forget in the user's stripe stores nothing", between: func(c *callerCache) { c.forgetUser(sameStripe) }},
		{name: "a read overtaken by a forget of a tenant stores nothing", between: func(c *callerCache) { c.forgetTenant(uuid.New()) }},
		{name: "a read overtaken by a forget of a user in another stripe stores", between: func(c *callerCache) { c.forgetUser(other) }, hit: true},
		{name: "a read overtaken by a reset stores nothing", between: func(c *callerCache) { c.reset(true) }},
		{name: "a forget of the user drops it", after: func(c *callerCache) { c.forgetUser(user) }},
		{name: "a forget of another user keeps it", after: func(c *callerCache) { c.forgetUser(other) }, hit: true},
		{name: "a forget of the tenant drops it", after: func(c *callerCache) { c.forgetTenant(tenant) }},
		{name: "a forget of another tenant keeps it", after: func(c *callerCache) { c.forgetTenant(uuid.New()) }, hit: true},
		{name: "going dead drops it and stores nothing", after: func(c *callerCache) {
			c.reset(false)
			fill(c, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCallerCache(time.Minute, 100)
			c.reset(true)
			fill(c, tt.between)
			if tt.after != nil {
				tt.after(c)
			}
			gotU, got, _, ok := c.get(user, tenant, now.Add(tt.at))
			if ok != tt.hit {
				t.Fatalf("hit = %v, want %v", ok, tt.hit)
			}
			if ok && (gotU.Name != "A" || got == nil || got.Role != RoleAdmin) {
				t.Errorf("hit returned %+v %+v, want user A with role admin", gotU, got)
			}
			if ok {
				got.Role = RoleViewer // a hit's copy is the caller's too
				if _, again, _, _ := c.get(user, tenant, now); again.Role != RoleAdmin {
					t.Errorf("a change to a returned copy reached the cache: role %s", again.Role)
				}
			}
		})
	}
}

// TestCallerCacheBounded: the cache holds at most its size, and a user
// with entries for several tenants counts each.
func TestCallerCacheBounded(t *testing.T) {
	const size = 10
	c := newCallerCache(time.Minute, size)
	c.reset(true)
	now := time.Now()
	for range 100 {
		user := uuid.New()
		for range 3 {
			tenant := uuid.New()
			_, _, gen, _ := c.get(user, tenant, now)
			c.put(user, tenant, User{ID: user}, nil, gen, now)
		}
		n := 0
		for _, m := range c.byUser {
			n += len(m)
		}
		if n != c.n || n > size+2 { // a user's own entries may pass it until the next user
			t.Fatalf("%d entries (counted %d), want at most %d", n, c.n, size+2)
		}
	}
}

// watching returns a Service whose caller cache is live: WatchChanges runs
// until the test ends, and this returns once it listens.
func watching(t *testing.T, d *dbtest.DB, cfg Config) *Service {
	t.Helper()
	cfg.Argon2 = cheapArgon2
	s, err := New(d.App, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WatchChanges(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	waitLive(t, s, true)
	return s
}

// waitLive waits until the cache is live (or not).
func waitLive(t *testing.T, s *Service, live bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.cache.mu.RLock()
		got := s.cache.live
		s.cache.mu.RUnlock()
		if got == live {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the caller cache did not become live=%v", live)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cachedCaller calls Caller twice and fails unless the second was a hit:
// the answer is in the cache. With a listener (WatchChanges) it first
// waits for the notifications of earlier changes, which would forget the
// entry.
func cachedCaller(t *testing.T, s *Service, user, tenant uuid.UUID, listening bool) (User, *TenantRole) {
	t.Helper()
	if listening {
		if err := s.SyncChanges(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Caller(t.Context(), user, tenant); err != nil {
		t.Fatal(err)
	}
	hits, _ := s.CallerCacheStats()
	u, cur, err := s.Caller(t.Context(), user, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := s.CallerCacheStats(); h != hits+1 {
		t.Fatalf("the second Caller was not answered from the cache (hits %d → %d)", hits, h)
	}
	return u, cur
}

// TestCallerCacheSeesChangesBehindItsBack: rows changed with plain SQL
// (another tool, psql, a fork's own code) reach the cache through the
// tables' triggers: once SyncChanges returns, Caller answers the change,
// where it answered from memory before it.
func TestCallerCacheSeesChangesBehindItsBack(t *testing.T) {
	d := dbtest.New(t)
	var disabledSeen sync.Map
	s := watching(t, d, Config{OnDisable: func(_ context.Context, id uuid.UUID) error {
		disabledSeen.Store(id, true)
		return nil
	}})
	ctx := t.Context()
	u := signUp(t, s)
	ten, err := s.CreateTenant(ctx, u.ID, "Cached", uniqueSlug())
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		sql   string
		check func(User, *TenantRole) error
	}{
		{"UPDATE users SET name = 'Renamed' WHERE id = $1 AND $2::uuid IS NOT NULL", func(u User, _ *TenantRole) error {
			return want(u.Name == "Renamed", "name %q", u.Name)
		}},
		{"UPDATE memberships SET role = 'viewer' WHERE user_id = $1 AND tenant_id = $2", func(_ User, cur *TenantRole) error {
			return want(cur != nil && cur.Role == RoleViewer, "role %v", cur)
		}},
		{"UPDATE tenants SET name = 'Renamed tenant' WHERE id = $2 AND $1::uuid IS NOT NULL", func(_ User, cur *TenantRole) error {
			return want(cur != nil && cur.Name == "Renamed tenant", "tenant %v", cur)
		}},
		{"DELETE FROM memberships WHERE user_id = $1 AND tenant_id = $2", func(_ User, cur *TenantRole) error {
			return want(cur == nil, "tenant %v after the membership went", cur)
		}},
		{"INSERT INTO memberships (tenant_id, user_id, role) VALUES ($2, $1, 'member')", func(_ User, cur *TenantRole) error {
			return want(cur != nil && cur.Role == RoleMember, "role %v after joining again", cur)
		}},
	}
	for _, st := range steps {
		cachedCaller(t, s, u.ID, ten.ID, true)
		if _, err := d.Owner.Exec(ctx, st.sql, u.ID, ten.ID); err != nil {
			t.Fatalf("%s: %v", st.sql, err)
		}
		if err := s.SyncChanges(ctx); err != nil {
			t.Fatal(err)
		}
		got, cur, err := s.Caller(ctx, u.ID, ten.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.check(got, cur); err != nil {
			t.Errorf("after %s: %v", st.sql, err)
		}
	}

	// A disabled user is never answered from memory: every Caller reads,
	// and revokes their sessions.
	cachedCaller(t, s, u.ID, ten.ID, true)
	if _, err := d.Owner.Exec(ctx, "UPDATE users SET disabled_at = now() WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncChanges(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, cur, err := s.Caller(ctx, u.ID, ten.ID)
		if err != nil || !got.Disabled || cur != nil {
			t.Fatalf("Caller of a disabled user = %+v, %v, %v; want disabled, no tenant", got, cur, err)
		}
	}
	if _, ok := disabledSeen.Load(u.ID); !ok {
		t.Error("OnDisable did not run for the disabled user")
	}
}

func want(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf("got "+format, args...)
}

// TestCallerCacheOwnWrites: identity's own changes forget what they change
// as they commit, so the next Caller reads them without waiting for the
// notification. The cache is made live by hand, with no listener: only
// the writes themselves can have forgotten.
func TestCallerCacheOwnWrites(t *testing.T) {
	d := dbtest.New(t)
	s, err := New(d.App, Config{Argon2: cheapArgon2})
	if err != nil {
		t.Fatal(err)
	}
	s.cache.reset(true)
	ctx := t.Context()
	owner, member := signUp(t, s), signUp(t, s)
	ten, err := s.CreateTenant(ctx, owner.ID, "Own", uniqueSlug())
	if err != nil {
		t.Fatal(err)
	}
	actor := Actor{UserID: owner.ID}

	steps := []struct {
		name   string
		user   uuid.UUID
		change func() error
		check  func(User, *TenantRole) error
	}{
		{"AddMember", member.ID, func() error { return s.AddMember(ctx, ten.ID, member.ID, RoleMember) },
			func(_ User, cur *TenantRole) error { return want(cur != nil && cur.Role == RoleMember, "role %v", cur) }},
		{"ChangeMemberRole", member.ID, func() error { return s.ChangeMemberRole(ctx, actor, ten.ID, member.ID, RoleAdmin) },
			func(_ User, cur *TenantRole) error { return want(cur != nil && cur.Role == RoleAdmin, "role %v", cur) }},
		{"UpdateTenant", member.ID, func() error {
			name := "Own renamed"
			_, err := s.UpdateTenant(ctx, actor, ten.ID, TenantUpdate{Name: &name})
			return err
		}, func(_ User, cur *TenantRole) error {
			return want(cur != nil && cur.Name == "Own renamed", "tenant %v", cur)
		}},
		{"TransferTenant (the new owner)", member.ID, func() error { return s.TransferTenant(ctx, actor, ten.ID, member.ID) },
			func(_ User, cur *TenantRole) error { return want(cur != nil && cur.Role == RoleOwner, "role %v", cur) }},
		{"TransferTenant (the old owner)", owner.ID, func() error { return nil },
			func(_ User, cur *TenantRole) error { return want(cur != nil && cur.Role == RoleAdmin, "role %v", cur) }},
		{"RemoveMemberAs", owner.ID, func() error {
			return s.RemoveMemberAs(ctx, Actor{UserID: member.ID}, ten.ID, owner.ID)
		}, func(_ User, cur *TenantRole) error { return want(cur == nil, "tenant %v after removal", cur) }},
		{"DisableUser", member.ID, func() error { return s.DisableUser(ctx, member.ID) },
			func(u User, _ *TenantRole) error { return want(u.Disabled, "enabled after DisableUser") }},
	}
	for _, st := range steps {
		if st.name != "TransferTenant (the old owner)" {
			cachedCaller(t, s, st.user, ten.ID, false)
			// The old owner's entry must be there before the transfer.
			cachedCaller(t, s, owner.ID, ten.ID, false)
		}
		if err := st.change(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got, cur, err := s.Caller(ctx, st.user, ten.ID)
		if err != nil {
			t.Fatalf("%s: Caller: %v", st.name, err)
		}
		if err := st.check(got, cur); err != nil {
			t.Errorf("right after %s: %v", st.name, err)
		}
	}
}

// TestCallerCacheListenerLost: when the listening connection dies, the
// cache empties and answers nothing until it listens again, so a change
// made meanwhile, whose notification nobody heard, is never hidden.
func TestCallerCacheListenerLost(t *testing.T) {
	d := dbtest.New(t)
	s := watching(t, d, Config{})
	ctx := t.Context()
	u := signUp(t, s)
	cachedCaller(t, s, u.ID, uuid.Nil, true)

	gen := func() uint64 {
		s.cache.mu.RLock()
		defer s.cache.mu.RUnlock()
		return s.cache.gen
	}
	before := gen()
	// Kill the listener (waiting until its backend is gone) and change the
	// user in the same statement: the notification is sent at commit, when
	// nobody listens.
	// (Listeners of earlier tests that are still on their way out may go
	// with it; no other test listens now.)
	var killed, changed int
	err := d.Owner.QueryRow(ctx, `WITH k AS (
		SELECT pg_terminate_backend(pid, 5000) AS done FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $2),
	c AS (UPDATE users SET name = 'Unheard' WHERE id = $1 RETURNING id)
	SELECT (SELECT count(*) FROM k WHERE done), (SELECT count(*) FROM c)`, u.ID, listenerAppName).Scan(&killed, &changed)
	if err != nil || killed < 1 || changed != 1 {
		t.Fatalf("terminated %d listeners and changed %d users (%v), want at least 1 and 1", killed, changed, err)
	}
	// Once the server has seen the connection go (which empties the
	// cache and turns it off), the unheard change shows.
	for deadline := time.Now().Add(10 * time.Second); gen() == before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server did not notice the listener's connection end")
		}
	}
	got, _, err := s.Caller(ctx, u.ID, uuid.Nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Unheard" {
		t.Fatalf("Caller after the listener died: name %q, want the change", got.Name)
	}
	waitLive(t, s, true)
	got, _ = cachedCaller(t, s, u.ID, uuid.Nil, true)
	if got.Name != "Unheard" {
		t.Errorf("after listening again: name %q", got.Name)
	}
}

// TestCallerCacheNotifications: what each payload on identity_changed
// forgets. One the server cannot read, and the '*' a TRUNCATE sends, empty
// the cache.
func TestCallerCacheNotifications(t *testing.T) {
	user, other, tenant := uuid.New(), uuid.New(), uuid.New()
	tests := []struct {
		payload             string
		userLeft, otherLeft bool
	}{
		{"u:" + user.String(), false, true},
		{"u:" + other.String(), true, false},
		{"t:" + tenant.String(), false, false},
		{"t:" + uuid.NewString(), true, true},
		{"*", false, false},
		{"u:not-an-id", false, false},
		{"x:" + user.String(), false, false},
		{"s:a marker nobody waits for", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.payload, func(t *testing.T) {
			s := &Service{cache: newCallerCache(time.Minute, 100)}
			s.cache.reset(true)
			now := time.Now()
			for _, id := range []uuid.UUID{user, other} {
				_, _, gen, _ := s.cache.get(id, tenant, now)
				s.cache.put(id, tenant, User{ID: id}, nil, gen, now)
			}
			s.changed(tt.payload)
			_, _, _, userLeft := s.cache.get(user, tenant, now)
			_, _, _, otherLeft := s.cache.get(other, tenant, now)
			if userLeft != tt.userLeft || otherLeft != tt.otherLeft {
				t.Errorf("kept user %v, other %v; want %v, %v", userLeft, otherLeft, tt.userLeft, tt.otherLeft)
			}
		})
	}
}

// TestCallerCacheIdleCheck: a listener that hears nothing checks its
// connection now and then, and the check keeps it (no reconnect, which
// would empty the cache): the entry stays cached across several checks,
// and a change still arrives afterwards.
func TestCallerCacheIdleCheck(t *testing.T) {
	d := dbtest.New(t)
	s, err := New(d.App, Config{Argon2: cheapArgon2})
	if err != nil {
		t.Fatal(err)
	}
	s.watchIdle = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WatchChanges(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitLive(t, s, true)
	u := signUp(t, s)
	cachedCaller(t, s, u.ID, uuid.Nil, true)
	time.Sleep(10 * s.watchIdle) // several idle checks
	hits, _ := s.CallerCacheStats()
	if _, _, err := s.Caller(t.Context(), u.ID, uuid.Nil); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.CallerCacheStats(); h != hits+1 {
		t.Fatal("the entry was gone after the idle checks: the listener reconnected")
	}
	if _, err := d.Owner.Exec(t.Context(), "UPDATE users SET name = 'After the checks' WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncChanges(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Caller(t.Context(), u.ID, uuid.Nil); got.Name != "After the checks" {
		t.Errorf("after the idle checks: name %q, want the change", got.Name)
	}
}
