package app_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/identity"
)

// auditEvent is an event as GET /api/audit-events shows it.
type auditEvent struct {
	ID        string         `json:"id"`
	Actor     *string        `json:"actor"`
	APIKeyID  *string        `json:"api_key_id"`
	Action    string         `json:"action"`
	Target    string         `json:"target"`
	Detail    map[string]any `json:"detail"`
	RequestID string         `json:"request_id"`
	IP        string         `json:"ip"`
	CreatedAt string         `json:"created_at"`
}

type auditPage struct {
	Events     []auditEvent `json:"events"`
	NextCursor string       `json:"next_cursor"`
}

// auditEvents reads one page of tn's audit log as u.
func auditEvents(t *testing.T, u apptest.User, tn apptest.Tenant, query string) auditPage {
	t.Helper()
	var p auditPage
	u.Must(http.StatusOK, "GET", "/api/audit-events"+query, nil, apptest.InTenant(tn)).Decode(t, &p)
	return p
}

// actions lists the events' actions and targets, in order.
func actions(events []auditEvent) [][2]string {
	out := make([][2]string, len(events))
	for i, e := range events {
		out[i] = [2]string{e.Action, e.Target}
	}
	return out
}

// TestAuditEvents (issue 10): project writes are recorded, with actor,
// request id and IP, newest first, a page at a time, filtered by action or
// actor; another tenant sees none of them.
func TestAuditEvents(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	owner := e.Signup("owner")
	acme := owner.CreateTenant("Acme")
	in := apptest.InTenant(acme)
	member := e.Signup("member")
	e.AddMember(acme, member, identity.RoleMember)

	p1 := createProject(t, owner, acme, "one")
	p2 := createProject(t, member, acme, "two")
	r := member.Must(http.StatusOK, "PATCH", "/api/projects/"+p2, map[string]string{"name": "zwei"}, in)
	requestID := r.Header.Get("X-Request-Id")
	owner.Must(http.StatusNoContent, "DELETE", "/api/projects/"+p1, nil, in)
	// A refused write records nothing.
	member.Must(http.StatusForbidden, "DELETE", "/api/projects/"+p2, nil, in)
	// Neither does a failed one.
	owner.Must(http.StatusConflict, "POST", "/api/projects", map[string]string{"name": "zwei"}, in)

	all := auditEvents(t, owner, acme, "")
	want := [][2]string{{"project.deleted", p1}, {"project.updated", p2}, {"project.created", p2}, {"project.created", p1}}
	if diff := cmp.Diff(want, actions(all.Events)); diff != "" {
		t.Fatalf("events, newest first (-want +got):\n%s", diff)
	}
	if all.NextCursor != "" {
		t.Errorf("next_cursor %q on the only page", all.NextCursor)
	}
	upd := all.Events[1]
	if upd.Actor == nil || *upd.Actor != member.ID || upd.RequestID != requestID || upd.RequestID == "" || upd.IP == "" {
		t.Errorf("project.updated: actor %v, request id %q (the response's %q), ip %q", upd.Actor, upd.RequestID, requestID, upd.IP)
	}

	t.Run("pages", func(t *testing.T) {
		var got []auditEvent
		query := "?limit=3"
		for range 3 {
			p := auditEvents(t, owner, acme, query)
			got = append(got, p.Events...)
			if p.NextCursor == "" {
				break
			}
			query = "?limit=3&cursor=" + p.NextCursor
		}
		if diff := cmp.Diff(all.Events, got); diff != "" {
			t.Errorf("paged events (-one page +pages):\n%s", diff)
		}
	})

	t.Run("filters", func(t *testing.T) {
		if diff := cmp.Diff([][2]string{{"project.created", p2}, {"project.created", p1}},
			actions(auditEvents(t, owner, acme, "?action=project.created").Events)); diff != "" {
			t.Errorf("action=project.created (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([][2]string{{"project.updated", p2}, {"project.created", p2}},
			actions(auditEvents(t, owner, acme, "?actor="+member.ID).Events)); diff != "" {
			t.Errorf("actor=member (-want +got):\n%s", diff)
		}
		for query, code := range map[string]string{
			"?actor=nobody":         "invalid_actor",
			"?action=DROP%20TABLE":  "invalid_action",
			"?action=created":       "invalid_action",
			"?limit=0":              "invalid_limit",
			"?cursor=not-a-cursor!": "invalid_cursor",
		} {
			r := owner.Do("GET", "/api/audit-events"+query, nil, in)
			if r.Status != http.StatusBadRequest || r.Code(t) != code {
				t.Errorf("GET /api/audit-events%s: %d %s, want 400 %s", query, r.Status, r.Body, code)
			}
		}
	})

	t.Run("as another tenant", func(t *testing.T) {
		other := e.Signup("other")
		globex := other.CreateTenant("Globex")
		if got := auditEvents(t, other, globex, "").Events; len(got) != 0 {
			t.Errorf("Globex's log shows %d events", len(got))
		}
		r := other.Do("GET", "/api/audit-events", nil, in)
		if r.Status != http.StatusNotFound || r.Code(t) != "tenant_not_found" {
			t.Errorf("Acme's log as a non-member: %d %s, want 404 tenant_not_found", r.Status, r.Body)
		}
	})
}
