// Package db holds tenantkit's SQL: the goose migrations, embedded in the
// binary, and the generated schema file that sqlc reads.
//
// Invariant: db/schema/schema.sql is exactly what the migrations produce; the
// package's tests fail when it drifts (regenerate with `make generate`).
package db

import "embed"

// Migrations holds the goose migrations, applied in file-name order.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// MigrationsDir is the directory inside Migrations that holds the files.
const MigrationsDir = "migrations"
