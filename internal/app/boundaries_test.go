package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// connectionOwners are the packages under internal/ that may hold a pool or
// open connections: the components that own tables outside tenant
// transactions, the tenant transaction itself, the wiring, and the test
// kits. Domain components (a fork's product code) are not among them: they
// reach the database only through tenancy.DB(ctx), the request's tenant
// transaction, so RLS scopes every query they send.
var connectionOwners = []string{
	"app", "database", "identity", "jobs", "session", "tenancy",
	"dbtest", "tenancytest", "apptest",
}

// poolImports are the packages that hold pools or open connections.
var poolImports = []string{
	"github.com/jackc/pgx/v5/pgxpool",
	"github.com/jackc/pgx/v5/stdlib",
	"database/sql",
	"github.com/tenantkit/tenantkit/internal/dbtest",
}

// connectCalls are functions that open a connection without a pool.
var connectCalls = map[string][]string{
	"github.com/jackc/pgx/v5":                          {"Connect", "ConnectConfig"},
	"github.com/jackc/pgx/v5/pgconn":                   {"Connect", "ConnectConfig", "ConnectWithOptions"},
	"github.com/tenantkit/tenantkit/internal/database": {"Open"},
}

// TestDomainCodeHoldsNoPool fails when non-test code in a package under
// internal/ other than connectionOwners imports a pool package or opens a
// connection: a domain package with its own pool would run queries outside
// the tenant transaction.
func TestDomainCodeHoldsNoPool(t *testing.T) {
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		component := strings.Split(filepath.ToSlash(path), "/")[1] // ../<component>/…
		if slices.Contains(connectionOwners, component) {
			return nil
		}
		for _, v := range poolViolations(t, path) {
			t.Errorf("%s: %s; domain code runs its queries on tenancy.DB(ctx), never on a pool of its own", strings.TrimPrefix(filepath.ToSlash(path), "../"), v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// poolViolations lists what file imports or calls that opens connections.
func poolViolations(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	names := map[string]string{} // local name → import path, for connectCalls
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if slices.Contains(poolImports, p) {
			out = append(out, "imports "+p)
		}
		if _, ok := connectCalls[p]; ok {
			name := p[strings.LastIndex(p, "/")+1:]
			if name == "v5" {
				name = "pgx"
			}
			if imp.Name != nil {
				name = imp.Name.Name
			}
			names[name] = p
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if x, ok := sel.X.(*ast.Ident); ok && slices.Contains(connectCalls[names[x.Name]], sel.Sel.Name) {
			out = append(out, "calls "+names[x.Name]+"."+sel.Sel.Name)
		}
		return true
	})
	return out
}

// TestPoolViolationsCanFail shows the check above sees each way in.
func TestPoolViolationsCanFail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.go")
	src := `package invoices

import (
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	db "github.com/tenantkit/tenantkit/internal/database"
)

type Service struct{ pool *pgxpool.Pool }

func open() { pgx.Connect(nil, ""); db.Open(nil, "", db.PoolConfig{}) }
`
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	got := poolViolations(t, path)
	want := []string{
		"imports github.com/jackc/pgx/v5/pgxpool",
		"calls github.com/jackc/pgx/v5.Connect",
		"calls github.com/tenantkit/tenantkit/internal/database.Open",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations = %q, want %q", got, want)
	}
}

// sqlcOut matches where sqlc writes a component's queries: inside the
// component's own internal/ folder, so only the component can import them.
var sqlcOut = regexp.MustCompile(`^internal/([a-z0-9]+)/internal/([a-z0-9]+)db$`)

// TestGeneratedQueriesArePrivate fails when sqlc.yaml writes a component's
// generated queries anywhere another package could import them.
func TestGeneratedQueriesArePrivate(t *testing.T) {
	b, err := os.ReadFile("../../sqlc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	outs := regexp.MustCompile(`(?m)^\s*out:\s*(\S+)\s*$`).FindAllStringSubmatch(string(b), -1)
	if len(outs) == 0 {
		t.Fatal("sqlc.yaml has no out: lines")
	}
	for _, m := range outs {
		parts := sqlcOut.FindStringSubmatch(m[1])
		if parts == nil || parts[1] != parts[2] {
			t.Errorf("sqlc.yaml: out: %s; want internal/<component>/internal/<component>db, so only <component> can import its queries", m[1])
		}
	}
}
