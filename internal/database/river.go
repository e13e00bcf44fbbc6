package database

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// River's job queue (internal/jobs) keeps its tables in a schema of their
// own, RiverSchema, owned by the migration owner like every other table. The
// runtime group gets exactly what River's client needs there (riverGrants);
// the tenant role and PUBLIC get nothing, so SQL inside a tenant
// transaction cannot read a queued job or enqueue one.
//
// River's schema is not a goose migration: River ships its own versioned
// migrations (rivermigrate), which `migrate up` runs to the latest version
// of the River module in go.mod after goose's, so upgrading River upgrades
// its tables. db/schema/schema.sql shows them, like everything `migrate
// up` creates; sqlc generates nothing for them (no query names them), and
// the drift test fails when a River upgrade changes them.

// RiverSchema is the schema that holds River's tables; internal/jobs
// configures River's client with it.
const RiverSchema = "river"

// riverLockID is the session advisory lock `migrate up` holds while it
// creates River's schema, migrates it and grants on it, so that two
// replicas migrating at once take turns (goose's own lock is released when
// goose's migrations are done). The bytes spell "tk_river".
const riverLockID int64 = 0x746b5f7269766572

// riverGrants are the statements that give roles.App what River's client
// needs in RiverSchema and take everything else away from PUBLIC and the
// tenant role. They run after every River migration, so objects a newer
// River adds are covered by the same `migrate up`. Functions and types get
// EXECUTE and USAGE for PUBLIC when they are created; without USAGE on the
// schema PUBLIC could not name them, but the grants are revoked anyway, so
// that the schema's ACLs say exactly who may use it. USAGE on River's enum
// type is not granted: queries may use a type's values without it.
func riverGrants(roles Roles) []string {
	app := pgx.Identifier{roles.App}.Sanitize()
	tenant := pgx.Identifier{roles.Tenant}.Sanitize()
	schema := pgx.Identifier{RiverSchema}.Sanitize()
	return []string{
		"REVOKE ALL ON SCHEMA " + schema + " FROM PUBLIC, " + tenant,
		"REVOKE ALL ON ALL TABLES IN SCHEMA " + schema + " FROM PUBLIC, " + tenant,
		"REVOKE ALL ON ALL SEQUENCES IN SCHEMA " + schema + " FROM PUBLIC, " + tenant,
		"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA " + schema + " FROM PUBLIC, " + tenant,
		`DO $$
DECLARE t regtype;
BEGIN
    FOR t IN SELECT oid::regtype FROM pg_type
             WHERE typnamespace = '` + RiverSchema + `'::regnamespace
               AND (typtype IN ('e', 'd', 'r') OR (typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = typrelid) = 'c'))
    LOOP
        EXECUTE format('REVOKE ALL ON TYPE %s FROM PUBLIC', t);
    END LOOP;
END
$$`,
		// What River's client does as the runtime role: insert, fetch,
		// complete, retry, rescue and clean up jobs; elect a leader; track
		// queues. No TRUNCATE, no REFERENCES, no TRIGGER: River needs none.
		// River's migration bookkeeping is rivermigrate's, which runs as
		// the owner; the client never reads it.
		"GRANT USAGE ON SCHEMA " + schema + " TO " + app,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO " + app,
		"REVOKE ALL ON " + schema + ".river_migration FROM " + app,
		"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA " + schema + " TO " + app,
		"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA " + schema + " TO " + app,
	}
}

// RiverFingerprint identifies River's migrations and the grants `migrate up`
// gives on them: it changes when the River module's migrations or
// riverGrants do. dbtest names its migrated template after it.
func RiverFingerprint() string {
	h := sha256.New()
	m, err := newRiverMigrator(nil)
	if err != nil {
		// Only an unknown migration line fails, and the main line exists.
		panic(err)
	}
	for _, v := range m.AllVersions() {
		fmt.Fprintf(h, "%d\x00%s\x00", v.Version, v.SQLUp)
	}
	for _, s := range riverGrants(MigrationRoles) {
		fmt.Fprintf(h, "%s\x00", s)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func newRiverMigrator(pool *pgxpool.Pool) (*rivermigrate.Migrator[pgx.Tx], error) {
	return rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{
		Schema: RiverSchema,
		// Up reports each applied version to its writer, as goose's are.
		Logger: slog.New(slog.DiscardHandler),
	})
}

// riverUp creates RiverSchema if it is missing, migrates River's tables in
// it to the latest version and grants the runtime group what River needs,
// all under riverLockID. It runs as the owner (ownerURL), after goose, and is
// idempotent.
func riverUp(ctx context.Context, ownerURL string, roles Roles, w io.Writer) error {
	return withRiverLock(ctx, ownerURL, func(pool *pgxpool.Pool, conn *pgxpool.Conn) error {
		if err := ensureRiverSchema(ctx, conn); err != nil {
			return err
		}
		m, err := newRiverMigrator(pool)
		if err != nil {
			return err
		}
		res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err != nil {
			return fmt.Errorf("migrate river up: %w", err)
		}
		for _, v := range res.Versions {
			fmt.Fprintf(w, "migrated up: river %03d %s (%s)\n", v.Version, v.Name, v.Duration.Round(1e6))
		}
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			for _, s := range riverGrants(roles) {
				if _, err := tx.Exec(ctx, s); err != nil {
					return fmt.Errorf("grant on schema %s: %w", RiverSchema, err)
				}
			}
			return nil
		})
	})
}

// ensureRiverSchema creates RiverSchema, owned by the connected role (the
// owner), or checks that the one there is the owner's: whoever owns the
// schema may replace River's tables under the runtime role's feet.
func ensureRiverSchema(ctx context.Context, conn *pgxpool.Conn) error {
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{RiverSchema}.Sanitize()); err != nil {
		return fmt.Errorf("create schema %s: %w", RiverSchema, err)
	}
	var owner string
	var ours bool
	err := conn.QueryRow(ctx, `SELECT nspowner::regrole::text, nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
	                           FROM pg_namespace WHERE nspname = $1`, RiverSchema).Scan(&owner, &ours)
	if err != nil {
		return fmt.Errorf("inspect schema %s: %w", RiverSchema, err)
	}
	if !ours {
		return fmt.Errorf("schema %s exists and is owned by %s, not by DATABASE_URL's role, which migrates it; "+
			"run ALTER SCHEMA %s OWNER TO <DATABASE_URL's role> (and the same for the tables in it), or drop it",
			RiverSchema, owner, RiverSchema)
	}
	return nil
}

// riverDown drops RiverSchema and everything in it. Migrator.Down calls it
// once the first goose migration has been rolled back: below that there is
// no deployment left whose jobs could matter.
func riverDown(ctx context.Context, ownerURL string, w io.Writer) error {
	return withRiverLock(ctx, ownerURL, func(_ *pgxpool.Pool, conn *pgxpool.Conn) error {
		tag, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{RiverSchema}.Sanitize()+" CASCADE")
		if err != nil {
			return fmt.Errorf("drop schema %s: %w", RiverSchema, err)
		}
		fmt.Fprintf(w, "migrated down: river (%s)\n", tag)
		return nil
	})
}

// withRiverLock opens a small owner pool, takes riverLockID on one of its
// connections and runs fn with both; River's migrator works on the pool's
// other connection, one transaction per version as River requires.
func withRiverLock(ctx context.Context, ownerURL string, fn func(*pgxpool.Pool, *pgxpool.Conn) error) (err error) {
	pool, err := Open(ctx, ownerURL, PoolConfig{MaxConns: 2, AppName: "tenantkit-migrate"})
	if err != nil {
		return err
	}
	// Closing the pool ends the session, which releases the lock whatever
	// happened to the unlock.
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", riverLockID); err != nil {
		return fmt.Errorf("migrate river: take the lock: %w", err)
	}
	defer func() {
		_, unlockErr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", riverLockID)
		if unlockErr != nil {
			err = errors.Join(err, fmt.Errorf("migrate river: release the lock: %w", unlockErr))
		}
	}()
	return fn(pool, conn)
}
