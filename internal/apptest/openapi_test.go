package apptest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The exchanges below are made by hand, with no server: each is what a
// test's client would pass checkSpec.

const (
	specProjectID = "0b6f0c57-3a3f-4c36-9d2e-6d1f3c3b9a51"
	specUserID    = "5d3c1a0e-8f7b-4c2d-9e6a-1b2c3d4e5f60"
)

// projectBody is a Project body with fields replaced (a nil value drops one).
func projectBody(replace map[string]any) string {
	fields := []struct {
		name  string
		value any
	}{
		{"id", `"` + specProjectID + `"`},
		{"name", `"Website relaunch"`},
		{"created_by", `"` + specUserID + `"`},
		{"created_at", `"2026-12-01T10:00:00.123456Z"`},
		{"updated_at", `"2026-12-01T10:00:00.123456Z"`},
	}
	var parts []string
	for _, f := range fields {
		v, ok := replace[f.name]
		if !ok {
			v = f.value
		}
		if v != nil {
			parts = append(parts, fmt.Sprintf("%q:%v", f.name, v))
		}
		delete(replace, f.name)
	}
	for k, v := range replace {
		parts = append(parts, fmt.Sprintf("%q:%v", k, v))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// problemBody is a problem body, as the server writes one.
func problemBody(status int, code string) string {
	return fmt.Sprintf(`{"type":"about:blank","title":%q,"status":%d,"detail":"Something.","code":%q,"request_id":"5TQ2L7RZKJ3NQ6XW"}`,
		http.StatusText(status), status, code)
}

// specExchange is one request and its response.
type specExchange struct {
	method, target, reqBody string
	noSession               bool
	status                  int
	contentType, resBody    string
}

// do runs specError on the exchange as a test client sends and reads it:
// an absolute URL, the session cookie, X-Tenant, and JSON bodies.
func (x specExchange) do() error {
	req := httptest.NewRequest(x.method, "http://127.0.0.1:43210"+x.target, strings.NewReader(x.reqBody))
	if x.reqBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if !x.noSession {
		req.AddCookie(&http.Cookie{Name: "tenantkit_session", Value: "token"})
	}
	req.Header.Set("X-Tenant", "acme")
	res := &http.Response{StatusCode: x.status, Header: http.Header{}, Request: req}
	if x.contentType != "" {
		res.Header.Set("Content-Type", x.contentType)
	}
	return specError(req, []byte(x.reqBody), res, []byte(x.resBody))
}

const (
	jsonType    = "application/json"
	problemType = "application/problem+json"
)

func TestSpecAccepts(t *testing.T) {
	tests := []struct {
		name string
		x    specExchange
	}{
		{"a page with a next cursor",
			specExchange{"GET", "/api/projects?limit=2", "", false, 200, jsonType,
				`{"projects":[` + projectBody(nil) + `],"next_cursor":"AAYrUeA4ggALb8MlOjxMNp0ubR88O5pR"}`}},
		{"the last page, without next_cursor",
			specExchange{"GET", "/api/projects", "", false, 200, jsonType, `{"projects":[]}`}},
		{"a page under the tenant path prefix",
			specExchange{"GET", "/api/t/acme/projects?cursor=AAYrUeA4ggALb8MlOjxMNp0ubR88O5pR", "", false, 200, jsonType, `{"projects":[` + projectBody(nil) + `]}`}},
		{"the prefix with a tenant id",
			specExchange{"GET", "/api/t/" + specProjectID + "/projects/" + specProjectID, "", false, 200, jsonType, `{"project":` + projectBody(nil) + `}`}},
		{"a created project",
			specExchange{"POST", "/api/projects", `{"name":"Website relaunch"}`, false, 201, jsonType, `{"project":` + projectBody(nil) + `}`}},
		{"a patch that changes nothing",
			specExchange{"PATCH", "/api/t/acme/projects/" + specProjectID, `{}`, false, 200, jsonType, `{"project":` + projectBody(nil) + `}`}},
		{"a delete",
			specExchange{"DELETE", "/api/projects/" + specProjectID, "", false, 204, "", ""}},
		{"a delete refused",
			specExchange{"DELETE", "/api/projects/" + specProjectID, "", false, 409, problemType, problemBody(409, "project_in_use")}},
		{"a name taken",
			specExchange{"PATCH", "/api/projects/" + specProjectID, `{"name":"Taken"}`, false, 409, problemType, problemBody(409, "name_taken")}},
		{"an invalid limit",
			specExchange{"GET", "/api/projects?limit=0", "", false, 400, problemType, problemBody(400, "invalid_limit")}},
		{"invalid fields (the request is not checked: it is meant to be wrong)",
			specExchange{"POST", "/api/projects", `{"name":""}`, false, 400, problemType,
				`{"type":"about:blank","title":"Bad Request","status":400,"detail":"The request has invalid fields.","code":"invalid_request","errors":[{"field":"name","detail":"is required"}]}`}},
		{"malformed JSON",
			specExchange{"POST", "/api/projects", `{"name":`, false, 400, problemType, problemBody(400, "invalid_json")}},
		{"a malformed id",
			specExchange{"GET", "/api/projects/nope", "", false, 404, problemType, problemBody(404, "not_found")}},
		{"no session",
			specExchange{"GET", "/api/projects", "", true, 401, problemType, problemBody(401, "unauthenticated")}},
		{"an unknown tenant in the path",
			specExchange{"GET", "/api/t/Not_A_Slug/projects", "", false, 404, problemType, problemBody(404, "tenant_not_found")}},
		{"the tenant path prefix not mounted",
			specExchange{"GET", "/api/t/acme/projects", "", false, 404, problemType, problemBody(404, "not_found")}},
		{"an unknown route",
			specExchange{"GET", "/api/nope", "", false, 404, problemType, problemBody(404, "not_found")}},
		{"a known route with another method",
			specExchange{"PUT", "/api/projects", `{}`, false, 405, problemType, problemBody(405, "method_not_allowed")}},
		{"an internal error",
			specExchange{"GET", "/api/me", "", false, 500, problemType, problemBody(500, "internal_error")}},
		{"a service unavailable, with Retry-After",
			specExchange{"GET", "/api/members", "", false, 503, problemType, problemBody(503, "unavailable")}},
		{"a page",
			specExchange{"GET", "/", "", true, 200, "text/html; charset=utf-8", "<!doctype html>"}},
		{"a static file",
			specExchange{"GET", "/static/app.css", "", true, 200, "text/css; charset=utf-8", "body {}"}},
		{"the document itself",
			specExchange{"GET", "/api/openapi.yaml", "", true, 200, "application/yaml", "openapi: 3.1.0\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.x.do(); err != nil {
				t.Errorf("specError = %v, want nil", err)
			}
		})
	}
}

func TestSpecRejects(t *testing.T) {
	tests := []struct {
		name string
		x    specExchange
		want string // in the error
	}{
		{"an extra field",
			specExchange{"GET", "/api/projects/" + specProjectID, "", false, 200, jsonType, `{"project":` + projectBody(map[string]any{"color": `"red"`}) + `}`},
			"color"},
		{"an extra field in the envelope",
			specExchange{"GET", "/api/projects", "", false, 200, jsonType, `{"projects":[],"total":0}`},
			"total"},
		{"a missing required field",
			specExchange{"GET", "/api/projects/" + specProjectID, "", false, 200, jsonType, `{"project":` + projectBody(map[string]any{"updated_at": nil}) + `}`},
			"updated_at"},
		{"a wrong type",
			specExchange{"GET", "/api/t/acme/projects/" + specProjectID, "", false, 200, jsonType, `{"project":` + projectBody(map[string]any{"name": 5}) + `}`},
			"name"},
		{"a malformed uuid",
			specExchange{"POST", "/api/projects", `{"name":"x"}`, false, 201, jsonType, `{"project":` + projectBody(map[string]any{"created_by": `"alice"`}) + `}`},
			"created_by"},
		{"an empty next_cursor",
			specExchange{"GET", "/api/projects", "", false, 200, jsonType, `{"projects":[],"next_cursor":""}`},
			"next_cursor"},
		{"an undeclared status",
			specExchange{"GET", "/api/projects/" + specProjectID, "", false, 422, problemType, problemBody(422, "unprocessable")},
			"422"},
		{"a success with the wrong content type",
			specExchange{"GET", "/api/projects/" + specProjectID, "", false, 200, "text/plain", `{"project":` + projectBody(nil) + `}`},
			"text/plain"},
		{"a problem as plain JSON",
			specExchange{"GET", "/api/projects/nope", "", false, 404, jsonType, problemBody(404, "not_found")},
			"application/json"},
		{"a code the status does not declare",
			specExchange{"GET", "/api/members", "", false, 404, problemType, problemBody(404, "name_taken")},
			"tenant_not_found"},
		{"a problem without a code",
			specExchange{"DELETE", "/api/projects/" + specProjectID, "", false, 409, problemType, `{"type":"about:blank","title":"Conflict","status":409}`},
			"code"},
		{"a success for a body the spec refuses",
			specExchange{"POST", "/api/projects", `{"name":"x","color":"red"}`, false, 201, jsonType, `{"project":` + projectBody(nil) + `}`},
			"color"},
		{"a success for an out-of-range limit",
			specExchange{"GET", "/api/projects?limit=501", "", false, 200, jsonType, `{"projects":[]}`},
			"limit"},
		{"a success without a session",
			specExchange{"GET", "/api/projects", "", true, 200, jsonType, `{"projects":[]}`},
			"ecurity"},
		{"a success for a tenant that is no slug",
			specExchange{"GET", "/api/t/Not_A_Slug/projects", "", false, 200, jsonType, `{"projects":[]}`},
			"tenant"},
		{"an unknown route that succeeds",
			specExchange{"GET", "/api/nope", "", false, 200, jsonType, `{}`},
			"404"},
		{"an unknown route with another body",
			specExchange{"GET", "/api/nope", "", false, 404, problemType, problemBody(404, "tenant_not_found")},
			"RouteNotFound"},
		{"the tenant prefix on a route that is not tenant-scoped",
			specExchange{"GET", "/api/t/acme/me", "", false, 200, jsonType, `{}`},
			"no operation"},
		{"a tenant-scoped route without /api",
			specExchange{"GET", "/projects", "", false, 200, jsonType, `{"projects":[]}`},
			"no operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.x.do()
			if err == nil {
				t.Fatal("specError = nil, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("specError = %v\nwant it to mention %q", err, tt.want)
			}
		})
	}
}

// TestSpecRoutesTenantPrefix checks the /api/t/{tenant} prefix, described
// once in openapi.yaml, reaches every tenant-scoped operation.
func TestSpecRoutesTenantPrefix(t *testing.T) {
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/api/t/acme/projects", "/api/projects"} {
		route, err := s.router.FindRoute(httptest.NewRequest(http.MethodGet, target, nil))
		if err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		if got := route.Operation.OperationId; got != "listProjects" {
			t.Errorf("GET %s is operation %s, want listProjects", target, got)
		}
	}

	routes, err := SpecRoutes()
	if err != nil {
		t.Fatal(err)
	}
	for route, want := range map[string]string{
		"GET /api/projects":                    "listProjects",
		"GET /api/t/{tenant}/projects":         "listProjects",
		"DELETE /api/t/{tenant}/projects/{id}": "deleteProject",
		"GET /api/t/{tenant}/members":          "listMembers",
		"GET /api/me":                          "getMe",
		"GET /healthz":                         "getHealthz",
	} {
		if got := routes[route]; got != want {
			t.Errorf("SpecRoutes()[%q] = %q, want %q", route, got, want)
		}
	}
	if id, ok := routes["GET /api/t/{tenant}/me"]; ok {
		t.Errorf("SpecRoutes() has GET /api/t/{tenant}/me (%s), which is not tenant-scoped", id)
	}
}

// fakeTB records what checkSpec reports.
type fakeTB struct {
	testing.TB
	errors []string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func TestCheckSpecReports(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:43210/api/nope", nil)
	res := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {jsonType}}, Request: req}
	tb := &fakeTB{TB: t}
	checkSpec(tb, req, nil, res, []byte(`{}`))
	if len(tb.errors) != 1 || !strings.Contains(tb.errors[0], "GET /api/nope answered 200") {
		t.Errorf("checkSpec reported %q, want one error about GET /api/nope", tb.errors)
	}
}
