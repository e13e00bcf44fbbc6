package db_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"regexp"
	"testing"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

var update = flag.Bool("update", false, "rewrite schema/schema.sql from the migrations")

const schemaFile = "schema/schema.sql"

// TestSchemaFileMatchesMigrations fails when db/schema/schema.sql (which
// sqlc reads) differs from what the migrations produce. Regenerate with
// `make generate` (go test ./db -run TestSchemaFile -update).
func TestSchemaFileMatchesMigrations(t *testing.T) {
	ownerURL, dropDB, err := dbtest.MigrateFresh(t.Context())
	if err != nil {
		t.Fatalf("migrate a fresh database: %v", err)
	}
	t.Cleanup(func() {
		if err := dropDB(); err != nil {
			t.Errorf("drop the fresh database: %v", err)
		}
	})

	pgDump := os.Getenv("PG_DUMP")
	if pgDump == "" {
		pgDump = "pg_dump"
	}
	out, err := exec.CommandContext(t.Context(), pgDump, "--schema-only", "--no-owner",
		"--exclude-table=goose_db_version", "--dbname="+ownerURL).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	got := normalizeDump(out)

	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("read %s: %v", schemaFile, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: it differs from a dump of the migrated schema; run `make generate` and commit the result", schemaFile)
	}
}

// Lines that change from run to run or between pg_dump builds, not with the
// schema: version banners, the random \restrict key, SET preambles.
var volatile = regexp.MustCompile(`(?m)^(-- Dumped (from|by) .*|\\(un)?restrict .*|SET [a-z_]+ = .*|SELECT pg_catalog\.set_config\('search_path'.*)\n`)

var blankRuns = regexp.MustCompile(`\n{3,}`)

func normalizeDump(b []byte) []byte {
	b = volatile.ReplaceAll(b, nil)
	b = blankRuns.ReplaceAll(b, []byte("\n\n"))
	return append(bytes.TrimSpace(b), '\n')
}

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
