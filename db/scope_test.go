package db_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// scopeChanging matches SQL that changes what a transaction is scoped to:
// the tenant and user settings RLS keys on, and the role it runs as.
var scopeChanging = regexp.MustCompile(`(?i)set_config|app\.(tenant|user)_id|\b(re)?set\s+(local\s+)?role\b`)

// TestOnlyTenancyAndIdentityChangeScope fails when code outside the two
// components that own the tenant scope (tenancy's transaction, identity's
// own membership queries) sets app.tenant_id / app.user_id or switches
// roles: a domain query that re-scopes its transaction would defeat RLS.
func TestOnlyTenancyAndIdentityChangeScope(t *testing.T) {
	allowedDirs := []string{"queries/identity/", "../internal/tenancy/", "../internal/identity/", "../internal/dbtest/", "../internal/database/"}
	check := func(root string, keep func(path string) bool) {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !keep(path) {
				return err
			}
			for _, dir := range allowedDirs {
				if strings.HasPrefix(path, dir) {
					return nil
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i, line := range strings.Split(string(b), "\n") {
				if scopeChanging.MatchString(line) {
					t.Errorf("%s:%d changes the tenant scope outside tenancy/identity: %s", path, i+1, strings.TrimSpace(line))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check("queries", func(p string) bool { return strings.HasSuffix(p, ".sql") })
	check("../internal", func(p string) bool { return strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") })
	check("../cmd", func(p string) bool { return strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") })

	// The check itself must be able to fail.
	for _, bad := range []string{"SELECT set_config('app.tenant_id', $1, true)", "RESET ROLE", "set local role postgres", "current_setting('app.user_id')"} {
		if !scopeChanging.MatchString(bad) {
			t.Errorf("scope check misses %q", bad)
		}
	}
}
