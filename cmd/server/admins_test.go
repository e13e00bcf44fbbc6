package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/dbtest"
	"github.com/tenantkit/tenantkit/internal/identity"
)

// TestAdminsGrantRevoke (issue 10): `admins grant EMAIL` makes the user a
// platform admin (any letter case, idempotent), `admins revoke EMAIL`
// undoes it; an unknown address and bad usage fail.
func TestAdminsGrantRevoke(t *testing.T) {
	d := dbtest.New(t)
	env := withTenant(d, map[string]string{"APP_DATABASE_URL": d.AppURL})
	ctx := t.Context()
	email := "root-" + uuid.NewString()[:8] + "@example.com"
	var id uuid.UUID
	if err := d.Owner.QueryRow(ctx, "INSERT INTO users (email, name) VALUES ($1, 'Root') RETURNING id", email).Scan(&id); err != nil {
		t.Fatal(err)
	}
	ident, err := identity.New(d.App, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	isAdmin := func() bool {
		t.Helper()
		ok, err := ident.IsPlatformAdmin(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	admins := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"admins"}, args...), envFrom(env), &out, &bytes.Buffer{})
		return out.String(), err
	}

	if isAdmin() {
		t.Fatal("a new user is a platform admin")
	}
	for range 2 { // granting twice is fine
		out, err := admins("grant", strings.ToUpper(email))
		if err != nil {
			t.Fatalf("admins grant: %v", err)
		}
		if !strings.Contains(out, id.String()) || !strings.Contains(out, "is a platform admin") {
			t.Errorf("admins grant output %q", out)
		}
		if !isAdmin() {
			t.Fatal("after admins grant: not a platform admin")
		}
	}

	out, err := admins("revoke", email)
	if err != nil {
		t.Fatalf("admins revoke: %v", err)
	}
	if !strings.Contains(out, "no longer a platform admin") {
		t.Errorf("admins revoke output %q", out)
	}
	if isAdmin() {
		t.Fatal("after admins revoke: still a platform admin")
	}
	if out, err := admins("revoke", email); err != nil || !strings.Contains(out, "was not a platform admin") {
		t.Errorf("admins revoke again: %q, %v", out, err)
	}

	for _, args := range [][]string{
		{"grant", "nobody-" + uuid.NewString()[:8] + "@example.com"},
		{"revoke", "nobody@example.com"},
		{"grant"},
		{"promote", email},
		{"grant", email, "extra"},
	} {
		if out, err := admins(args...); err == nil {
			t.Errorf("admins %v: succeeded (%q), want an error", args, out)
		}
	}
	if isAdmin() {
		t.Error("a failed command made the user a platform admin")
	}
}
