package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/bench/seed/seeded"
)

// checkOwner refuses a database that is not migrated, or a role that COPY
// into memberships (FORCE ROW LEVEL SECURITY) would refuse. It reports
// whether the role is a superuser.
func checkOwner(ctx context.Context, pool *pgxpool.Pool) (superuser bool, err error) {
	var name string
	var bypass, migrated bool
	err = pool.QueryRow(ctx, `
SELECT current_user, rolsuper, rolsuper OR rolbypassrls,
       to_regclass('public.sessions') IS NOT NULL AND to_regclass('public.memberships') IS NOT NULL
FROM pg_roles WHERE rolname = current_user`).Scan(&name, &superuser, &bypass, &migrated)
	switch {
	case err != nil:
		return false, fmt.Errorf("DATABASE_URL: %w", err)
	case !migrated:
		return false, errors.New("DATABASE_URL: the database is not migrated (run `server migrate up`)")
	case !bypass:
		return false, fmt.Errorf("DATABASE_URL: role %q does not bypass row-level security, so COPY into memberships "+
			"(FORCE ROW LEVEL SECURITY) would fail; seed as a superuser or a role with BYPASSRLS", name)
	}
	return superuser, nil
}

// progress is how many rows of each kind are seeded already: rows 0..n-1.
type progress struct {
	tenants, users, memberships, pgSessions int
	redisSessions                           int // -1: no Redis
}

func (p progress) redisText() string {
	if p.redisSessions < 0 {
		return ""
	}
	return " and " + strconv.Itoa(p.redisSessions) + " (redis)"
}

// seeded finds where the seeded rows of each kind end. Each table's rows of
// one run go in one COPY (all or nothing), so the rows present are a prefix
// of the indexes, and a binary search on derived keys finds its end. Redis
// is written in batches, in index order but not atomically: after a failed
// run a hole may remain below the end found, so delete the keys
// (-delete-redis) and seed Redis again.
func (s *seeder) seeded(ctx context.Context) (progress, error) {
	seed := s.cfg.seed
	exists := func(query string, arg func(i int) any) func(context.Context, int) (bool, error) {
		return func(ctx context.Context, i int) (bool, error) {
			var ok bool
			err := s.pool.QueryRow(ctx, query, arg(i)).Scan(&ok)
			return ok, err
		}
	}
	var p progress
	var err error
	for _, k := range []struct {
		n       *int
		limit   int
		present func(context.Context, int) (bool, error)
	}{
		{&p.tenants, s.cfg.tenants, exists(`SELECT EXISTS (SELECT FROM tenants WHERE id = $1)`,
			func(i int) any { return [16]byte(seeded.TenantID(seed, i)) })},
		{&p.users, s.cfg.users, exists(`SELECT EXISTS (SELECT FROM users WHERE id = $1)`,
			func(i int) any { return [16]byte(seeded.UserID(seed, i)) })},
		{&p.memberships, s.cfg.users, exists(`SELECT EXISTS (SELECT FROM memberships WHERE user_id = $1)`,
			func(i int) any { return [16]byte(seeded.UserID(seed, i)) })},
		{&p.pgSessions, s.cfg.users, exists(`SELECT EXISTS (SELECT FROM sessions WHERE token_hash = $1)`,
			func(i int) any { h := tokenHash(seed, i); return h[:] })},
	} {
		if *k.n, err = firstMissing(ctx, k.limit, k.present); err != nil {
			return p, fmt.Errorf("find seeded rows: %w", err)
		}
	}
	if p.pgSessions > 0 {
		// Sessions seeded earlier end earlier; a lookup of an ended one
		// is a miss, not a lookup. The first one ends first.
		h := tokenHash(seed, 0)
		var expires time.Time
		if err := s.pool.QueryRow(ctx, `SELECT expires_at FROM sessions WHERE token_hash = $1`, h[:]).Scan(&expires); err != nil {
			return p, fmt.Errorf("find seeded rows: %w", err)
		}
		if time.Until(expires) < 5*time.Minute {
			return p, fmt.Errorf("the seeded sessions end at %s (within 5 minutes); seed a fresh database", expires.Format(time.RFC3339))
		}
	}
	p.redisSessions = -1
	if s.rdb != nil {
		if p.redisSessions, err = firstMissing(ctx, s.cfg.users, s.redisPresent); err != nil {
			return p, fmt.Errorf("find seeded redis sessions: %w", err)
		}
	}
	return p, nil
}

// firstMissing returns the first i in [0, n) for which present is false,
// or n, given that present is true up to some i and false from there on.
func firstMissing(ctx context.Context, n int, present func(context.Context, int) (bool, error)) (int, error) {
	lo, hi := 0, n
	for lo < hi {
		mid := lo + (hi-lo)/2
		ok, err := present(ctx, mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// copyRows copies rows [from, to) of table in the order of the table's
// primary key (key(i)), each built by row into the slice it is given (COPY
// encodes a row before it asks for the next). In key order, inserts into
// the primary key index append to its last page instead of landing on a
// random one.
//
// A table with foreign keys names, in orphans, a query that counts its rows
// whose references are missing. As a superuser, the copy then runs with
// the foreign-key triggers off (session_replication_role = replica, for
// this transaction only) and checks the whole table with that query before
// it commits: one join instead of a locking lookup per row per key, which
// made up two thirds of the memberships copy.
func (s *seeder) copyRows(ctx context.Context, table string, columns []string, from, to int, key func(i int) []byte,
	orphans string, row func(i int, r []any) error,
) error {
	order := inKeyOrder(from, to, key)
	r := make([]any, len(columns))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		deferChecks := orphans != "" && s.superuser
		if deferChecks {
			if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
				return err
			}
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromSlice(len(order), func(k int) ([]any, error) {
			return r, row(int(order[k]), r)
		}))
		switch {
		case err != nil:
			return err
		case n != int64(to-from):
			return fmt.Errorf("copied %d rows, want %d", n, to-from)
		case !deferChecks:
			return nil
		}
		if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = origin"); err != nil {
			return err
		}
		var bad int64
		if err := tx.QueryRow(ctx, orphans).Scan(&bad); err != nil {
			return fmt.Errorf("check foreign keys: %w", err)
		}
		if bad > 0 {
			return fmt.Errorf("%d rows reference rows that do not exist", bad)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w (seeding again needs the same -seed; or seed a fresh database)", err)
	}
	return nil
}

// inKeyOrder returns from..to-1 sorted by key, compared as Postgres
// compares uuid and bytea: byte by byte.
func inKeyOrder(from, to int, key func(i int) []byte) []int32 {
	type keyed struct {
		key []byte
		i   int32
	}
	ks := make([]keyed, 0, to-from)
	for i := from; i < to; i++ {
		ks = append(ks, keyed{key(i), int32(i)})
	}
	slices.SortFunc(ks, func(a, b keyed) int { return bytes.Compare(a.key, b.key) })
	order := make([]int32, len(ks))
	for k, e := range ks {
		order[k] = e.i
	}
	return order
}

func (s *seeder) copyTenants(ctx context.Context, from, to int) error {
	key := func(i int) []byte { id := seeded.TenantID(s.cfg.seed, i); return id[:] }
	return s.copyRows(ctx, "tenants", []string{"id", "slug", "name"}, from, to, key, "", func(i int, r []any) error {
		r[0], r[1], r[2] = [16]byte(seeded.TenantID(s.cfg.seed, i)), seeded.Slug(i), "Seed tenant "+strconv.Itoa(i)
		return nil
	})
}

func (s *seeder) copyUsers(ctx context.Context, from, to int) error {
	key := func(i int) []byte { id := seeded.UserID(s.cfg.seed, i); return id[:] }
	return s.copyRows(ctx, "users", []string{"id", "email", "name"}, from, to, key, "", func(i int, r []any) error {
		r[0], r[1], r[2] = [16]byte(seeded.UserID(s.cfg.seed, i)), seeded.Email(i), "Seed user "+strconv.Itoa(i)
		return nil
	})
}

// copyMemberships puts user i in tenant i mod tenants; the users below
// -tenants own theirs.
func (s *seeder) copyMemberships(ctx context.Context, from, to int) error {
	key := func(i int) []byte {
		t, u := s.tenantOf(i), seeded.UserID(s.cfg.seed, i)
		return append(t[:], u[:]...)
	}
	const orphans = `
SELECT count(*) FROM memberships m
WHERE NOT EXISTS (SELECT FROM users u WHERE u.id = m.user_id)
   OR NOT EXISTS (SELECT FROM tenants t WHERE t.id = m.tenant_id)`
	return s.copyRows(ctx, "memberships", []string{"tenant_id", "user_id", "role"}, from, to, key, orphans, func(i int, r []any) error {
		role := "member"
		if i < s.cfg.tenants {
			role = "owner"
		}
		r[0], r[1], r[2] = [16]byte(s.tenantOf(i)), [16]byte(seeded.UserID(s.cfg.seed, i)), role
		return nil
	})
}

func (s *seeder) copySessions(ctx context.Context, from, to int) error {
	key := func(i int) []byte { h := tokenHash(s.cfg.seed, i); return h[:] }
	return s.copyRows(ctx, "sessions", []string{"token_hash", "user_id", "data", "expires_at"}, from, to, key, "", func(i int, r []any) error {
		sess := s.session(i)
		r[0], r[1], r[2], r[3] = sess.hash[:], [16]byte(sess.userID), sess.data, s.deadline
		return nil
	})
}
