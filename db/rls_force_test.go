package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// proveForce shows, for every tenant table, that RLS holds the table's
// owner: with a tenant in scope that has no rows, the owner sees none of the
// rows a superuser sees there, and its INSERT of a row for yet another
// tenant is refused by the policy. Without FORCE the owner bypasses RLS, so
// either check fails.
//
// The read check needs rows (the caller seeds them); the write check needs
// none: Postgres checks a new row against the policy before NOT NULL, CHECK
// and foreign key constraints, so inserting only tenant_id proves it for any
// table. An error other than the policy's means the row got past RLS.
//
// The dbtest owner connection is a superuser, which bypasses RLS whatever
// FORCE says. So, inside a savepoint that is rolled back, the tables are
// handed to a fresh plain role and the checks run as it: FORCE is a property
// of the table, and what that owner sees is what a non-superuser migration
// owner sees in production.
func proveForce(ctx context.Context, tx pgx.Tx) ([]violation, error) {
	var super bool
	if err := tx.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil {
		return nil, err
	}
	if !super {
		return nil, errors.New("needs a superuser connection (the dbtest owner), to count rows past RLS and hand tables to a probe owner")
	}
	type table struct {
		name, ident, schema string
		rows                int64
	}
	rows, err := tx.Query(ctx, `
		SELECT c.oid::regclass::text, n.nspname, c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var t table
		var rel string
		err := r.Scan(&t.name, &t.schema, &rel)
		t.ident = pgx.Identifier{t.schema, rel}.Sanitize()
		return t, err
	})
	if err != nil || len(tables) == 0 {
		return nil, err
	}

	sp, err := tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer sp.Rollback(context.WithoutCancel(ctx))
	for i, t := range tables {
		if err := sp.QueryRow(ctx, "SELECT count(*) FROM "+t.ident).Scan(&tables[i].rows); err != nil {
			return nil, fmt.Errorf("%s: count as superuser: %w", t.name, err)
		}
	}
	owner := pgx.Identifier{"tk_rls_owner_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]}.Sanitize()
	setup := []string{"CREATE ROLE " + owner + " NOLOGIN NOSUPERUSER NOBYPASSRLS", "GRANT USAGE ON SCHEMA app TO " + owner}
	for _, t := range tables {
		setup = append(setup,
			"GRANT USAGE ON SCHEMA "+pgx.Identifier{t.schema}.Sanitize()+" TO "+owner,
			"ALTER TABLE "+t.ident+" OWNER TO "+owner)
	}
	setup = append(setup, "SET LOCAL ROLE "+owner)
	for _, s := range setup {
		if _, err := sp.Exec(ctx, s); err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
	}
	if _, err := sp.Exec(ctx, "SELECT set_config('app.tenant_id', $1, true)", uuid.NewString()); err != nil {
		return nil, err
	}

	var out []violation
	for _, t := range tables {
		var problems []string
		var seen int64
		if err := sp.QueryRow(ctx, "SELECT count(*) FROM "+t.ident).Scan(&seen); err != nil {
			return nil, fmt.Errorf("%s: count as owner: %w", t.name, err)
		}
		if seen > 0 {
			problems = append(problems, fmt.Sprintf("it saw %d of %d rows of other tenants", seen, t.rows))
		}
		insert, err := sp.Begin(ctx)
		if err != nil {
			return nil, err
		}
		_, err = insert.Exec(ctx, "INSERT INTO "+t.ident+" (tenant_id) VALUES ($1)", uuid.NewString())
		insert.Rollback(ctx)
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			problems = append(problems, "its INSERT of another tenant's row succeeded")
		case errors.As(err, &pgErr) && pgErr.Code == "42501" && strings.Contains(pgErr.Message, "row-level security"):
			// Refused by the policy.
		case errors.As(err, &pgErr):
			problems = append(problems, "its INSERT of another tenant's row got past RLS to SQLSTATE "+pgErr.Code)
		default:
			return nil, fmt.Errorf("%s: insert as owner: %w", t.name, err)
		}
		if len(problems) > 0 {
			out = append(out, violation{
				Object:  t.name,
				Problem: "RLS does not hold the table owner: " + strings.Join(problems, ", "),
				Fix:     "ALTER TABLE " + t.name + " FORCE ROW LEVEL SECURITY; no policy may admit other tenants' rows",
			})
		}
	}
	return out, nil
}
