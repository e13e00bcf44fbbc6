package app_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// TestForeignTenantCostsLikeMissing (issue 7, finding 5): a tenant that
// exists but is not the caller's must do exactly the database work of one
// that does not exist, so timing cannot tell them apart. Every SQL
// statement both pools run is recorded; the four requests must run the
// same statements, in the same order, and none may reach the tenant pool
// (no tenant transaction is begun for a tenant the caller may not see).
func TestForeignTenantCostsLikeMissing(t *testing.T) {
	d := dbtest.New(t)
	rec := &statementLog{}
	e := apptest.New(t, apptest.Options{
		Pool:       tracedPool(t, d.AppURL, rec, "app"),
		TenantPool: tracedPool(t, d.TenantURL, rec, "tenant"),
	})
	alice, bob := e.Signup("alice"), e.Signup("bob")
	a, b := alice.CreateTenant("Acme"), bob.CreateTenant("Bobco")

	// The caller's own tenant works, and warms every pooled connection up.
	alice.Must(http.StatusOK, "GET", "/api/projects", nil, xTenant(a.Slug))

	type request struct{ name, path, ref string }
	var requests []request
	for _, ref := range []struct{ name, ref string }{
		{"foreign slug", b.Slug},
		{"missing slug", "no-such-" + uuid.NewString()[:8]},
		{"foreign id", b.ID},
		{"missing id", uuid.NewString()},
	} {
		requests = append(requests,
			request{"X-Tenant: " + ref.name, "/api/projects", ref.ref},
			request{"path " + ref.name, "/api/t/" + ref.ref + "/projects", ""})
	}

	var first []string
	for i, req := range requests {
		var headers []apptest.Header
		if req.ref != "" {
			headers = append(headers, xTenant(req.ref))
		}
		rec.reset()
		r := alice.Do("GET", req.path, nil, headers...)
		got := rec.take()
		if r.Status != http.StatusNotFound || r.Code(t) != "tenant_not_found" {
			t.Errorf("%s: got %d %s, want 404 tenant_not_found", req.name, r.Status, r.Body)
		}
		for _, s := range got {
			if s.pool == "tenant" {
				t.Errorf("%s: a tenant transaction ran: %q", req.name, s.sql)
			}
		}
		texts := make([]string, len(got))
		for j, s := range got {
			texts[j] = s.pool + ": " + s.sql
		}
		if i == 0 {
			first = texts
			if len(first) == 0 {
				t.Fatalf("%s: no statement recorded; is the tracer wired?", req.name)
			}
			t.Logf("every request runs:\n%s", strings.Join(first, "\n"))
			continue
		}
		if diff := cmp.Diff(first, texts); diff != "" {
			t.Errorf("%s runs other statements than %s (-%s +%s):\n%s", req.name, requests[0].name, requests[0].name, req.name, diff)
		}
	}
}

// tracedPool opens a pool on url that records every statement it runs in
// rec under the name pool.
func tracedPool(t *testing.T, url string, rec *statementLog, pool string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	cfg.ConnConfig.Tracer = tracer{rec: rec, pool: pool}
	p, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// statement is one SQL statement a pool ran.
type statement struct{ pool, sql string }

// statementLog collects the statements of every traced pool, in the order
// they started.
type statementLog struct {
	mu   sync.Mutex
	list []statement
}

func (l *statementLog) add(s statement) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, s)
}

func (l *statementLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = nil
}

func (l *statementLog) take() []statement {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.list
	l.list = nil
	return out
}

// tracer is a pgx.QueryTracer that logs each statement's text.
type tracer struct {
	rec  *statementLog
	pool string
}

func (tr tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	tr.rec.add(statement{pool: tr.pool, sql: data.SQL})
	return ctx
}

func (tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
