package app_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/identity"
)

type apiKeyResponse struct {
	APIKey struct {
		ID        string  `json:"id"`
		Name      string  `json:"name"`
		Role      string  `json:"role"`
		Prefix    string  `json:"prefix"`
		CreatedBy *string `json:"created_by"`
	} `json:"api_key"`
	Key string `json:"key"`
}

// createKey creates an API key of tn as u.
func createKey(t *testing.T, u apptest.User, tn apptest.Tenant, role string, expires *time.Time) apiKeyResponse {
	t.Helper()
	body := map[string]any{"name": "key " + uuid.NewString()[:8], "role": role}
	if expires != nil {
		body["expires_at"] = expires.Format(time.RFC3339Nano)
	}
	var k apiKeyResponse
	u.Must(http.StatusCreated, "POST", "/api/api-keys", body, apptest.InTenant(tn)).Decode(t, &k)
	if !strings.HasPrefix(k.Key, "tk_") || k.APIKey.Role != role || !strings.HasPrefix(k.Key, k.APIKey.Prefix) {
		t.Fatalf("created: %+v", k)
	}
	return k
}

// TestAPIKeys (issue 11): a key reads and writes its tenant's rows with its
// role and nothing else; revoked and expired keys are 401 at once; its
// secret is not in the database.
func TestAPIKeys(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	owner := e.Signup("owner")
	acme := owner.CreateTenant("Acme")
	in := apptest.InTenant(acme)
	admin := e.Signup("admin")
	e.AddMember(acme, admin, identity.RoleAdmin)
	other := e.Signup("other")
	globex := other.CreateTenant("Globex")
	c := e.Client() // no cookie: the key alone

	writer := createKey(t, admin, acme, "member", nil)
	reader := createKey(t, owner, acme, "viewer", nil)
	if writer.APIKey.CreatedBy == nil || *writer.APIKey.CreatedBy != admin.ID {
		t.Errorf("created_by: %v", writer.APIKey.CreatedBy)
	}

	t.Run("acts in its tenant with its role", func(t *testing.T) {
		r := c.Must(http.StatusCreated, "POST", "/api/projects", map[string]string{"name": "by-key"}, bearer(writer.Key))
		id := r.JSON(t)["project"].(map[string]any)["id"].(string)
		c.Must(http.StatusOK, "GET", "/api/projects/"+id, nil, bearer(reader.Key))
		// Naming its own tenant is fine, by id or slug.
		c.Must(http.StatusOK, "GET", "/api/projects", nil, bearer(reader.Key), in)
		c.Must(http.StatusOK, "GET", "/api/projects", nil, bearer(reader.Key), apptest.Header{Key: "X-Tenant", Value: acme.Slug})
		c.Must(http.StatusOK, "GET", "/api/t/"+acme.Slug+"/projects", nil, bearer(reader.Key))
		// Its role, not its creator's.
		expectCode(t, c, 403, "forbidden", "DELETE", "/api/projects/"+id, nil, bearer(writer.Key))
		expectCode(t, c, 403, "forbidden", "POST", "/api/projects", map[string]string{"name": "no"}, bearer(reader.Key))
		owner.Must(http.StatusNoContent, "DELETE", "/api/projects/"+id, nil, in)
		// Never the person's routes, nor member management.
		expectCode(t, c, 401, "unauthenticated", "GET", "/api/me", nil, bearer(writer.Key))
		expectCode(t, c, 401, "unauthenticated", "GET", "/api/tenants", nil, bearer(writer.Key))
		adminKey := createKey(t, owner, acme, "admin", nil)
		expectCode(t, c, 403, "forbidden", "POST", "/api/invitations", map[string]string{"email": "x@example.com", "role": "viewer"}, bearer(adminKey.Key))
		expectCode(t, c, 403, "forbidden", "PATCH", "/api/members/"+admin.ID, map[string]string{"role": "member"}, bearer(adminKey.Key))
		expectCode(t, c, 403, "forbidden", "POST", "/api/api-keys", map[string]string{"name": "child", "role": "viewer"}, bearer(adminKey.Key))
		c.Must(http.StatusOK, "GET", "/api/members", nil, bearer(adminKey.Key))

		// The audit log names the key, and no user.
		events := auditEvents(t, owner, acme, "?action=project.created&limit=1").Events
		if len(events) != 1 || events[0].Actor != nil || events[0].APIKeyID == nil || *events[0].APIKeyID != writer.APIKey.ID {
			t.Errorf("project.created by a key: %+v", events)
		}
	})

	t.Run("as another tenant", func(t *testing.T) {
		for _, h := range []apptest.Header{apptest.InTenant(globex), {Key: "X-Tenant", Value: globex.Slug}, {Key: "X-Tenant", Value: "no-such-tenant"}} {
			expectCode(t, c, 400, "tenant_conflict", "GET", "/api/projects", nil, bearer(writer.Key), h)
		}
		expectCode(t, c, 400, "tenant_conflict", "GET", "/api/t/"+globex.ID+"/projects", nil, bearer(writer.Key))
		// Globex's admins see none of Acme's keys.
		var list struct {
			APIKeys []any `json:"api_keys"`
		}
		other.Must(http.StatusOK, "GET", "/api/api-keys", nil, apptest.InTenant(globex)).Decode(t, &list)
		if len(list.APIKeys) != 0 {
			t.Errorf("Globex sees keys: %v", list.APIKeys)
		}
		expectCode(t, other.Client, 404, "api_key_not_found", "DELETE", "/api/api-keys/"+writer.APIKey.ID, nil, apptest.InTenant(globex))
	})

	t.Run("a cookie and a key together", func(t *testing.T) {
		expectCode(t, owner.Client, 400, "ambiguous_credentials", "GET", "/api/projects", nil, bearer(writer.Key), in)
	})

	t.Run("no role above the creator's", func(t *testing.T) {
		member := e.Signup("member")
		e.AddMember(acme, member, identity.RoleMember)
		expectCode(t, member.Client, 403, "forbidden", "POST", "/api/api-keys", map[string]string{"name": "m", "role": "viewer"}, in)
		expectCode(t, owner.Client, 400, "invalid_request", "POST", "/api/api-keys", map[string]string{"name": "o", "role": "owner"}, in)
		expectCode(t, admin.Client, 400, "invalid_request", "POST", "/api/api-keys", map[string]string{"name": "", "role": "viewer"}, in)
		expectCode(t, admin.Client, 400, "invalid_request", "POST", "/api/api-keys",
			map[string]any{"name": "past", "role": "viewer", "expires_at": time.Now().Add(-time.Hour).Format(time.RFC3339)}, in)
	})

	t.Run("a platform admin's opt-in lists keys, never mints or revokes them", func(t *testing.T) {
		staff := e.Signup("staff")
		if _, err := e.App.Identity.GrantPlatformAdmin(t.Context(), staff.Email); err != nil {
			t.Fatal(err)
		}
		optIn := []apptest.Header{in, {Key: "X-Admin-Reason", Value: "ticket 42"}}
		staff.Must(http.StatusOK, "GET", "/api/api-keys", nil, optIn...)
		expectCode(t, staff.Client, 403, "forbidden", "POST", "/api/api-keys", map[string]string{"name": "backdoor", "role": "admin"}, optIn...)
		expectCode(t, staff.Client, 403, "forbidden", "DELETE", "/api/api-keys/"+reader.APIKey.ID, nil, optIn...)
		c.Must(http.StatusOK, "GET", "/api/projects", nil, bearer(reader.Key))
	})

	t.Run("at most 100 keys a tenant", func(t *testing.T) {
		tn := owner.CreateTenant("Many keys")
		if _, err := e.DB.Owner.Exec(t.Context(), `INSERT INTO api_keys (tenant_id, name, role, secret_hash)
			SELECT $1, 'filler ' || g, 'viewer', sha256(g::text::bytea) FROM generate_series(1, 100) g`, tn.ID); err != nil {
			t.Fatal(err)
		}
		expectCode(t, owner.Client, 409, "too_many_api_keys", "POST", "/api/api-keys", map[string]string{"name": "one more", "role": "viewer"}, apptest.InTenant(tn))
	})

	t.Run("revoked and expired keys", func(t *testing.T) {
		k := createKey(t, admin, acme, "viewer", nil)
		c.Must(http.StatusOK, "GET", "/api/projects", nil, bearer(k.Key))
		admin.Must(http.StatusNoContent, "DELETE", "/api/api-keys/"+k.APIKey.ID, nil, in)
		expectCode(t, c, 401, "invalid_token", "GET", "/api/projects", nil, bearer(k.Key))
		expectCode(t, admin.Client, 404, "api_key_not_found", "DELETE", "/api/api-keys/"+k.APIKey.ID, nil, in)

		soon := time.Now().Add(time.Hour)
		x := createKey(t, admin, acme, "viewer", &soon)
		c.Must(http.StatusOK, "GET", "/api/projects", nil, bearer(x.Key))
		if _, err := e.DB.Owner.Exec(t.Context(), "UPDATE api_keys SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = $1", x.APIKey.ID); err != nil {
			t.Fatal(err)
		}
		expectCode(t, c, 401, "invalid_token", "GET", "/api/projects", nil, bearer(x.Key))

		// A made-up secret for a real id, and malformed keys.
		forged := k.Key[:len(k.Key)-43] + base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
		forgedLive := writer.Key[:len(writer.Key)-43] + base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
		for _, tok := range []string{forged, forgedLive, "tk_" + strings.Repeat("0", 32) + "_" + strings.Repeat("A", 43), "tk_short"} {
			expectCode(t, c, 401, "invalid_token", "GET", "/api/projects", nil, bearer(tok))
		}

		got := actions(auditEvents(t, owner, acme, "?action=api_key.revoked&limit=1").Events)
		if len(got) != 1 || got[0] != [2]string{"api_key.revoked", k.APIKey.ID} {
			t.Errorf("api_key.revoked: %v", got)
		}
	})

	t.Run("a removed creator's key works on", func(t *testing.T) {
		creator := e.Signup("creator")
		e.AddMember(acme, creator, identity.RoleAdmin)
		k := createKey(t, creator, acme, "member", nil)
		owner.Must(http.StatusNoContent, "DELETE", "/api/members/"+creator.ID, nil, in)
		c.Must(http.StatusCreated, "POST", "/api/projects", map[string]string{"name": "after-removal"}, bearer(k.Key))
	})

	t.Run("last use is stamped off the request path", func(t *testing.T) {
		k := createKey(t, admin, acme, "viewer", nil)
		c.Must(http.StatusOK, "GET", "/api/projects", nil, bearer(k.Key))
		deadline := time.Now().Add(10 * time.Second)
		for {
			var list struct {
				APIKeys []struct {
					ID         string  `json:"id"`
					LastUsedAt *string `json:"last_used_at"`
				} `json:"api_keys"`
			}
			admin.Must(http.StatusOK, "GET", "/api/api-keys", nil, in).Decode(t, &list)
			stamped := false
			for _, l := range list.APIKeys {
				stamped = stamped || (l.ID == k.APIKey.ID && l.LastUsedAt != nil)
			}
			if stamped {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("last_used_at never written")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("the secret is not in the database", func(t *testing.T) {
		k := createKey(t, admin, acme, "viewer", nil)
		secret := k.Key[len(k.Key)-43:]
		raw, err := base64.RawURLEncoding.DecodeString(secret)
		if err != nil {
			t.Fatal(err)
		}
		// Every text, bytea and json column of every table in the public
		// and river schemas, for the secret as the key carries it and as
		// raw bytes (a bytea's text form is its hex).
		rows, err := e.DB.Owner.Query(t.Context(), `
			SELECT format('SELECT count(*) FROM %I.%I WHERE strpos(%I::text, $1) > 0 OR strpos(%I::text, $2) > 0',
			              table_schema, table_name, column_name, column_name)
			FROM information_schema.columns
			WHERE table_schema IN ('public', 'river') AND data_type IN ('text', 'bytea', 'jsonb', 'json', 'character varying')`)
		if err != nil {
			t.Fatal(err)
		}
		var queries []string
		for rows.Next() {
			var q string
			if err := rows.Scan(&q); err != nil {
				t.Fatal(err)
			}
			queries = append(queries, q)
		}
		if err := rows.Err(); err != nil || len(queries) < 10 {
			t.Fatalf("columns: %d, %v", len(queries), err)
		}
		for _, q := range queries {
			var n int
			if err := e.DB.Owner.QueryRow(t.Context(), q, secret, hex.EncodeToString(raw)).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if n != 0 {
				t.Errorf("the key's secret is in the database: %s", q)
			}
		}
	})
}
