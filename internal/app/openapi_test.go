package app_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/apptest"
)

// TestOpenAPIDescribesEveryRoute keeps openapi.yaml and the routes of the
// app as app.New wires them (the components' routes included) in step.
// internal/http tests that the document holds together.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	routes := map[string]bool{}
	err := e.App.Server.Walk(func(method, route string) error {
		routes[method+" "+route] = true
		return nil
	})
	if err != nil {
		t.Fatalf("walk routes: %v", err)
	}
	ops, err := apptest.SpecRoutes()
	if err != nil {
		t.Fatal(err)
	}
	spec := map[string]bool{}
	for route := range ops {
		spec[route] = true
	}
	// Sets, not lists, so that a near-miss ("/revoke-other" for
	// "/revoke-others") shows as one whole line out and one in.
	if diff := cmp.Diff(routes, spec); diff != "" {
		t.Errorf("the routes and openapi.yaml disagree (-route missing from openapi.yaml, +operation with no route):\n%s", diff)
	}
}
