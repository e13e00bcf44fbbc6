package database

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/tenantkit/tenantkit/db"
)

// Migrator applies the embedded migrations as the owner role, and River's
// (see river.go) after them.
type Migrator struct {
	provider *goose.Provider
	close    func() error
	ownerURL string
	roles    Roles
}

// NewMigrator connects to ownerURL for migrating the database to roles: the
// migrations' placeholder role names become roles'. Close it when done.
func NewMigrator(ownerURL string, roles Roles) (*Migrator, error) {
	cfg, err := pgx.ParseConfig(ownerURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: invalid connection string")
	}
	sqlDB := stdlib.OpenDB(*cfg)
	dir, err := fs.Sub(db.Migrations, db.MigrationsDir)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	migrations, err := roles.migrations(dir)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	// Two replicas running `migrate up` at once take turns on a session
	// advisory lock instead of applying the same migration twice.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations, goose.WithSessionLocker(locker))
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return &Migrator{provider: p, close: p.Close, ownerURL: ownerURL, roles: roles}, nil
}

// Close releases the migrator's connection.
func (m *Migrator) Close() error { return m.close() }

// Up applies every pending migration and reports each to w; then River's:
// it creates River's schema if it is missing, migrates it to the latest
// version and grants the runtime group what River needs there (river.go).
// Both steps are idempotent, and each holds an advisory lock of its own, so
// two replicas may run Up at once.
func (m *Migrator) Up(ctx context.Context, w io.Writer) error {
	results, err := m.provider.Up(ctx)
	for _, r := range results {
		fmt.Fprintf(w, "migrated up: %s (%s)\n", r.Source.Path, r.Duration.Round(1e6))
	}
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return riverUp(ctx, m.ownerURL, m.roles, w)
}

// Down rolls back the most recent migration. River's schema stays, with
// whatever jobs it holds, until the first migration is rolled back: then
// it is dropped too, and the database holds nothing of tenantkit's.
func (m *Migrator) Down(ctx context.Context, w io.Writer) error {
	r, err := m.provider.Down(ctx)
	if r != nil {
		fmt.Fprintf(w, "migrated down: %s\n", r.Source.Path)
	}
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	if sources := m.provider.ListSources(); r != nil && len(sources) > 0 && r.Source.Version == sources[0].Version {
		return riverDown(ctx, m.ownerURL, w)
	}
	return nil
}

// Status writes each migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context, w io.Writer) error {
	statuses, err := m.provider.Status(ctx)
	if err != nil {
		return fmt.Errorf("migrate status: %w", err)
	}
	for _, s := range statuses {
		applied := "pending"
		if s.State == goose.StateApplied {
			applied = "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(w, "%05d  %-40s %s\n", s.Source.Version, s.Source.Path, applied)
	}
	return nil
}
