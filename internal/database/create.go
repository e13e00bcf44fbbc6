package database

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// EnsureDatabase creates the database named in ownerURL when it does not
// exist yet, connecting to the server's maintenance database "postgres" with
// the same credentials. It makes `make run` work on a fresh Postgres.
func EnsureDatabase(ctx context.Context, ownerURL string) (created bool, err error) {
	cfg, err := pgx.ParseConfig(ownerURL)
	if err != nil {
		return false, errors.New("DATABASE_URL: invalid connection string")
	}
	name := cfg.Database
	if name == "" || name == "postgres" {
		return false, nil
	}
	// Fast path: the database is there.
	if c, err := pgx.ConnectConfig(ctx, cfg.Copy()); err == nil {
		c.Close(ctx)
		return false, nil
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return false, fmt.Errorf("connect to create database %q: %w", name, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return false, nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return false, fmt.Errorf("create database %q: %w", name, err)
	}
	return true, nil
}
