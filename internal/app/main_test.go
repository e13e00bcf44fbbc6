package app_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// The HTTP tests of the whole app: app.New on a real database (as the
// runtime role) and a real session store, through apptest.

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func mustUUID(t testing.TB, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// createProject creates a project in tn (by X-Tenant) and returns its id.
func createProject(t testing.TB, u apptest.User, tn apptest.Tenant, name string) string {
	t.Helper()
	var got struct {
		Project struct {
			ID string `json:"id"`
		} `json:"project"`
	}
	u.Must(http.StatusCreated, "POST", "/api/projects", map[string]string{"name": name}, apptest.InTenant(tn)).Decode(t, &got)
	return got.Project.ID
}

// xTenant names a tenant by id or slug in X-Tenant.
func xTenant(ref string) apptest.Header { return apptest.Header{Key: "X-Tenant", Value: ref} }
