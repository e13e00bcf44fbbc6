package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/dbtest"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/mailtest"
)

// A server with WORKERS=off only queues mail; `server worker` delivers it.
func TestWorker(t *testing.T) {
	d := dbtest.New(t)
	inbox := mailtest.Start(t)
	env := withTenant(d, map[string]string{"APP_DATABASE_URL": d.AppURL, "WORKERS": "off", "MAIL_URL": ""})
	url, stop := startServer(t, env)
	email := "worker-" + strings.ToLower(time.Now().Format("150405.000000")) + "@example.com"
	res, err := http.Post(url+"/api/auth/signup", "application/json",
		strings.NewReader(`{"email":"`+email+`","password":"correct horse battery staple","name":"W"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("signup: %d", res.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := len(inbox.Messages()); got != 0 {
		t.Fatalf("%d mails before any worker ran", got)
	}

	// The worker needs MAIL_URL; without it, it refuses to start.
	if err := run(t.Context(), []string{"worker"}, envFrom(env), &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "MAIL_URL") {
		t.Fatalf("worker without MAIL_URL: %v", err)
	}
	env["MAIL_URL"] = inbox.URL()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"worker"}, envFrom(env), &bytes.Buffer{}, &bytes.Buffer{}) }()
	msg := inbox.WaitFor(t, email, 1, 20*time.Second)[0]
	mailtest.Token(t, msg, "verify-email")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not stop")
	}
}

func TestUsersVerify(t *testing.T) {
	d := dbtest.New(t)
	ident, err := identity.New(d.App, identity.Config{Argon2: identity.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := ident.SignUp(t.Context(), "unverified-"+strings.ToLower(time.Now().Format("150405.000000"))+"@example.com", "correct horse battery staple", "U")
	if err != nil {
		t.Fatal(err)
	}
	env := envFrom(map[string]string{"APP_DATABASE_URL": d.AppURL})
	var out bytes.Buffer
	if err := run(t.Context(), []string{"users", "verify", strings.ToUpper(u.Email)}, env, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("users verify: %v", err)
	}
	if got, err := ident.User(t.Context(), u.ID); err != nil || !got.EmailVerified {
		t.Fatalf("after users verify: %+v, %v (output %q)", got, err, out.String())
	}
	if err := run(t.Context(), []string{"users", "verify", "nobody@example.com"}, env, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Fatal("users verify of an unknown address succeeded")
	}
}
