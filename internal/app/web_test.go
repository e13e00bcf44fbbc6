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
