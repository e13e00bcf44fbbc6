package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/apptest"
)

func TestIndexPage(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	anon := e.Client().Must(http.StatusOK, "GET", "/", nil)
	if ct := anon.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !strings.Contains(string(anon.Body), "not signed in") {
		t.Errorf("anonymous page: %s", anon.Body)
	}

	u := e.Signup("web")
	ten := u.CreateTenant("Webco")
	u.Must(http.StatusOK, "PUT", "/api/me/tenant", map[string]string{"tenant": ten.Slug})
	page := string(u.Must(http.StatusOK, "GET", "/", nil).Body)
	for _, want := range []string{u.Email, "Webco", "owner"} {
		if !strings.Contains(page, want) {
			t.Errorf("signed-in page lacks %q: %s", want, page)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "style=") {
		t.Error("page has inline script or style, which the CSP forbids")
	}

	css := e.Client().Must(http.StatusOK, "GET", "/static/app.css", nil)
	if ct := css.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("app.css Content-Type = %q", ct)
	}
	for _, path := range []string{"/static/nope.css", "/static/..%2Fweb.go", "/static/%00"} {
		if r := e.Client().Do("GET", path, nil); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, r.Status)
		}
	}
}

// The pages mail links open: forms posted by account.js, nothing spent by
// fetching them, the token kept out of caches and Referer headers.
func TestAccountPages(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	for path, want := range map[string]string{
		"/verify-email?token=abc":   `data-action="verify-email"`,
		"/reset-password?token=abc": `data-action="password-reset-confirm"`,
		"/reset-password":           `data-action="password-reset"`,
		"/confirm-email?token=abc":  `data-action="confirm-email"`,
	} {
		r := e.Client().Must(http.StatusOK, "GET", path, nil)
		page := string(r.Body)
		if !strings.Contains(page, want) || !strings.Contains(page, `<script src="/static/account.js" defer></script>`) {
			t.Errorf("%s: page lacks %s or its script: %s", path, want, page)
		}
		if strings.Contains(page, "abc") {
			t.Errorf("%s: the token is in the page", path)
		}
		if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: Cache-Control %q, Referrer-Policy %q", path, r.Header.Get("Cache-Control"), r.Header.Get("Referrer-Policy"))
		}
	}
	js := e.Client().Must(http.StatusOK, "GET", "/static/account.js", nil)
	if ct := js.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("account.js Content-Type = %q", ct)
	}
}
