package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SESSION_STORE": "memcached"}, "SESSION_STORE"},
		{map[string]string{"SESSION_STORE": "redis"}, "REDIS_URL"},
		{map[string]string{"BASE_URL": "ftp://x"}, "BASE_URL"},
		{map[string]string{"SESSION_IDLE_TIMEOUT": "soon"}, "SESSION_IDLE_TIMEOUT"},
		{map[string]string{"SESSION_IDLE_TIMEOUT": "48h"}, "SESSION_IDLE_TIMEOUT"},
		{map[string]string{"TENANT_SOURCES": "header,cookie"}, "TENANT_SOURCES"},
		{map[string]string{"TRUSTED_PROXIES": "10.0.0.0/33"}, "TRUSTED_PROXIES"},
		{map[string]string{"PASSWORD_MIN_LENGTH": "4"}, "PASSWORD_MIN_LENGTH"},
		{map[string]string{}, "APP_DATABASE_URL"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		err := run(t.Context(), []string{"serve"}, envFrom(tt.env), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("env %v: err = %v, want it to name %s", tt.env, err, tt.want)
		}
	}
	if err := run(t.Context(), []string{"migrate", "sideways"}, envFrom(map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1/x"}), &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("migrate sideways: want a usage error")
	}
	if err := run(t.Context(), []string{"frobnicate"}, envFrom(nil), &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("unknown command: want an error")
	}
}

// TestServeRefusesUnsafeRole: serving as a superuser (or the owner) would
// bypass RLS, so serve exits with a message that says why and what to do.
func TestServeRefusesUnsafeRole(t *testing.T) {
	d := dbtest.New(t)
	err := run(t.Context(), []string{"serve"}, envFrom(map[string]string{
		"APP_DATABASE_URL": d.OwnerURL, "HTTP_ADDR": "127.0.0.1:0",
	}), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("serve as a superuser: want an error")
	}
	for _, want := range []string{"refusing to serve", "superuser", "APP_DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestMigrateUpCreatesDatabaseAndRole runs `migrate up` twice against a
// database that does not exist yet, then serves as the role it created.
func TestMigrateUpCreatesDatabaseAndRole(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	name := d.Name + "_fresh"
	role := "tk_role_" + strings.ToLower(d.Name[len(d.Name)-8:])
	ownerURL := strings.Replace(d.OwnerURL, "/"+d.Name, "/"+name, 1)
	appURL := strings.Replace(strings.Replace(d.AppURL, "/"+d.Name, "/"+name, 1), dbtest.RuntimeRole, role, 1)
	t.Cleanup(func() {
		ctx := context.Background()
		d.Owner.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		d.Owner.Exec(ctx, "DROP ROLE IF EXISTS "+role)
	})
	env := envFrom(map[string]string{"DATABASE_URL": ownerURL, "APP_DATABASE_URL": appURL})
	for i := range 2 {
		var out bytes.Buffer
		if err := run(ctx, []string{"migrate", "up"}, env, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("migrate up #%d: %v\n%s", i+1, err, out.String())
		}
		if !strings.Contains(out.String(), "runtime role") {
			t.Errorf("migrate up #%d output: %s", i+1, out.String())
		}
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"migrate", "status"}, env, &out, &bytes.Buffer{}); err != nil || strings.Contains(out.String(), "pending") {
		t.Errorf("migrate status: %v\n%s", err, out.String())
	}
	serveBriefly(t, map[string]string{"APP_DATABASE_URL": appURL})
	serveBriefly(t, map[string]string{"APP_DATABASE_URL": appURL, "SESSION_STORE": "redis", "REDIS_URL": redisURL()})
}

func redisURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// serveBriefly starts serve, checks /healthz and /readyz, then cancels the
// context (as SIGTERM does) and expects a clean exit.
func serveBriefly(t *testing.T, env map[string]string) {
	t.Helper()
	addr := freeAddr(t)
	env["HTTP_ADDR"] = addr
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envFrom(env), &bytes.Buffer{}, &bytes.Buffer{}) }()

	url := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(url + "/healthz")
		if err == nil {
			res.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not drain and exit")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr())
}
