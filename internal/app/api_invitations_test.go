package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/apptest"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/mailtest"
)

// expectCode fails the test unless c's request gets status and, unless
// code is "", the problem code.
func expectCode(t *testing.T, c *apptest.Client, status int, code, method, path string, body any, h ...apptest.Header) {
	t.Helper()
	r := c.Do(method, path, body, h...)
	if r.Status != status || (code != "" && r.Code(t) != code) {
		t.Errorf("%s %s %v: %d %s, want %d %s", method, path, h, r.Status, r.Body, status, code)
	}
}

// invite invites email to tn as u with role and returns the token of the
// link in the mail that a real SMTP server received.
func invite(t *testing.T, e *apptest.Env, u apptest.User, tn apptest.Tenant, email, role string) (id, token string) {
	t.Helper()
	var got struct {
		Invitation struct {
			ID string `json:"id"`
		} `json:"invitation"`
	}
	seen := map[string]bool{}
	for _, m := range e.Mail.Messages() {
		seen[m.MessageID] = true
	}
	u.Must(http.StatusCreated, "POST", "/api/invitations", map[string]string{"email": email, "role": role}, apptest.InTenant(tn)).Decode(t, &got)
	// Other mail to the address (its sign-up's verification link) may
	// arrive in between: wait for the new invitation.
	for n := 1; ; n++ {
		for _, m := range e.Mail.WaitFor(t, email, n, mailWait) {
			if !seen[m.MessageID] && strings.Contains(m.Text, "/invitation?token=") {
				return got.Invitation.ID, mailtest.Token(t, m, "invitation")
			}
		}
	}
}

// meTenant is the id of the session's current tenant, "" for none.
func meTenant(t *testing.T, c *apptest.Client) string {
	t.Helper()
	var me struct {
		Tenant *struct {
			ID string `json:"id"`
		} `json:"tenant"`
	}
	c.Must(http.StatusOK, "GET", "/api/me", nil).Decode(t, &me)
	if me.Tenant == nil {
		return ""
	}
	return me.Tenant.ID
}

// TestInvitationEndToEnd (issue 10): over real SMTP, the owner invites a
// new address; the invitee follows the link, signs up and lands in the
// tenant as a member; the owner promotes, then removes them. The audit log
// shows each step, and the removed member's next request is 404.
func TestInvitationEndToEnd(t *testing.T) {
	e := newMailEnv(t, nil)
	owner := e.Signup("owner")
	acme := owner.CreateTenant("Acme")
	in := apptest.InTenant(acme)
	email := "newcomer-" + uuid.NewString()[:8] + "@example.com"

	invID, token := invite(t, e, owner, acme, email, "member")
	msg := e.Mail.WaitFor(t, email, 1, mailWait)[0]
	for _, want := range []string{"Acme", owner.Email, "member", "7 days"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("the invitation mail does not say %q:\n%s", want, msg.Text)
		}
	}

	// The link opens a page; the page posts the token to the API.
	page := e.Client().Must(http.StatusOK, "GET", "/invitation?token="+token, nil)
	if !strings.Contains(string(page.Body), `data-action="invitation-signup"`) {
		t.Errorf("the invitation page has no sign-up form:\n%s", page.Body)
	}
	invitee := e.Client()
	var joined struct {
		User struct {
			ID            string `json:"id"`
			EmailVerified bool   `json:"email_verified"`
		} `json:"user"`
		Tenant struct {
			ID string `json:"id"`
		} `json:"tenant"`
		Role string `json:"role"`
	}
	invitee.Must(http.StatusCreated, "POST", "/api/invitations/signup",
		map[string]string{"token": token, "name": "Newcomer", "password": apptest.Password}).Decode(t, &joined)
	if !joined.User.EmailVerified || joined.Tenant.ID != acme.ID || joined.Role != "member" {
		t.Fatalf("signed up: %+v", joined)
	}
	// The session's tenant is Acme: no header needed.
	if got := meTenant(t, invitee); got != acme.ID {
		t.Errorf("current tenant %q, want Acme", got)
	}
	invitee.Must(http.StatusOK, "GET", "/api/projects", nil)
	expectCode(t, invitee, 403, "forbidden", "GET", "/api/invitations", nil)
	// Spent.
	expectCode(t, e.Client(), 400, "invalid_token", "POST", "/api/invitations/signup",
		map[string]string{"token": token, "name": "Again", "password": apptest.Password})

	owner.Must(http.StatusNoContent, "PATCH", "/api/members/"+joined.User.ID, map[string]string{"role": "admin"}, in)
	invitee.Must(http.StatusOK, "GET", "/api/invitations", nil)
	owner.Must(http.StatusNoContent, "DELETE", "/api/members/"+joined.User.ID, nil, in)
	expectCode(t, invitee, 404, "tenant_not_found", "GET", "/api/projects", nil)
	if got := meTenant(t, invitee); got != "" {
		t.Errorf("after removal the session's tenant is %q, want none", got)
	}

	events := auditEvents(t, owner, acme, "?limit=4").Events
	want := [][2]string{
		{"member.removed", joined.User.ID},
		{"member.role_changed", joined.User.ID},
		{"member.joined", joined.User.ID},
		{"invitation.created", invID},
	}
	if diff := cmp.Diff(want, actions(events)); diff != "" {
		t.Errorf("audit log, newest first (-want +got):\n%s", diff)
	}
	if ev := events[2]; ev.Actor == nil || *ev.Actor != joined.User.ID || ev.Detail["role"] != "member" || ev.Detail["invitation_id"] != invID {
		t.Errorf("member.joined: %+v", ev)
	}
	if ev := events[3]; ev.Actor == nil || *ev.Actor != owner.ID || ev.Detail["email"] != email {
		t.Errorf("invitation.created: %+v", ev)
	}
}

// TestInvitations (issue 10): listing, replacing, revoking, accepting with
// the right and the wrong address, declining, and another tenant.
func TestInvitations(t *testing.T) {
	e := newMailEnv(t, nil)
	owner := e.Signup("owner")
	acme := owner.CreateTenant("Acme")
	in := apptest.InTenant(acme)
	admin, member := e.Signup("admin"), e.Signup("member")
	e.AddMember(acme, admin, identity.RoleAdmin)
	e.AddMember(acme, member, identity.RoleMember)

	t.Run("refusals", func(t *testing.T) {
		expectCode(t, admin.Client, 409, "already_member", "POST", "/api/invitations", map[string]string{"email": strings.ToUpper(member.Email), "role": "viewer"}, in)
		// Nobody grants a role above their own, nor an admin one without
		// being an owner.
		expectCode(t, admin.Client, 403, "forbidden", "POST", "/api/invitations", map[string]string{"email": "boss@example.com", "role": "admin"}, in)
		expectCode(t, admin.Client, 403, "forbidden", "POST", "/api/invitations", map[string]string{"email": "boss@example.com", "role": "owner"}, in)
		expectCode(t, admin.Client, 400, "invalid_request", "POST", "/api/invitations", map[string]string{"email": "not an address", "role": "member"}, in)
		expectCode(t, admin.Client, 400, "invalid_request", "POST", "/api/invitations", map[string]string{"email": "x@example.com", "role": "root"}, in)
		expectCode(t, admin.Client, 404, "invitation_not_found", "DELETE", "/api/invitations/"+uuid.NewString(), nil, in)
		expectCode(t, admin.Client, 404, "invitation_not_found", "DELETE", "/api/invitations/not-a-uuid", nil, in)
	})

	t.Run("accepting, with the wrong and the right address", func(t *testing.T) {
		existing := e.Signup("existing")
		_, token := invite(t, e, admin, acme, existing.Email, "viewer")
		// Signing up again for an address with an account.
		expectCode(t, e.Client(), 409, "email_taken", "POST", "/api/invitations/signup",
			map[string]string{"token": token, "name": "Squatter", "password": apptest.Password})
		// Another signed-in user.
		stranger := e.Signup("stranger")
		expectCode(t, stranger.Client, 403, "invitation_email_mismatch", "POST", "/api/invitations/accept", map[string]string{"token": token})
		expectCode(t, stranger.Client, 404, "tenant_not_found", "GET", "/api/members", nil, in)
		// Without a session.
		expectCode(t, e.Client(), 401, "", "POST", "/api/invitations/accept", map[string]string{"token": token})
		// The invited address.
		var got struct {
			Tenant struct {
				ID string `json:"id"`
			} `json:"tenant"`
			Role string `json:"role"`
		}
		existing.Must(http.StatusOK, "POST", "/api/invitations/accept", map[string]string{"token": token}).Decode(t, &got)
		if got.Tenant.ID != acme.ID || got.Role != "viewer" {
			t.Errorf("accepted: %+v", got)
		}
		if meTenant(t, existing.Client) != acme.ID {
			t.Error("accepting did not make Acme the session's tenant")
		}
		if memberRoles(t, owner, acme)[existing.ID] != "viewer" {
			t.Error("no viewer membership")
		}
		expectCode(t, existing.Client, 400, "invalid_token", "POST", "/api/invitations/accept", map[string]string{"token": token})
	})

	t.Run("accepting with a bearer token", func(t *testing.T) {
		mobile := e.Signup("mobile")
		_, token := invite(t, e, admin, acme, mobile.Email, "viewer")
		p := signInTokens(t, e, mobile, "")
		c := e.Client()
		c.Must(http.StatusOK, "POST", "/api/invitations/accept", map[string]string{"token": token}, bearer(p.AccessToken))
		// The token names the tenant; the membership is there.
		c.Must(http.StatusOK, "GET", "/api/projects", nil, bearer(p.AccessToken), in)
	})

	t.Run("inviting again replaces; revoking and declining end it", func(t *testing.T) {
		email := "twice-" + uuid.NewString()[:8] + "@example.com"
		firstID, first := invite(t, e, admin, acme, email, "member")
		secondID, second := invite(t, e, admin, acme, email, "viewer")
		if firstID != secondID || first == second {
			t.Errorf("ids %s, %s; tokens equal: %v", firstID, secondID, first == second)
		}
		var list struct {
			Invitations []struct {
				ID        string  `json:"id"`
				Email     string  `json:"email"`
				Role      string  `json:"role"`
				InvitedBy *string `json:"invited_by"`
			} `json:"invitations"`
		}
		admin.Must(http.StatusOK, "GET", "/api/invitations", nil, in).Decode(t, &list)
		n := 0
		for _, inv := range list.Invitations {
			if inv.Email == email {
				n++
				if inv.Role != "viewer" || inv.InvitedBy == nil || *inv.InvitedBy != admin.ID {
					t.Errorf("listed: %+v", inv)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d invitations of %s listed, want 1", n, email)
		}
		expectCode(t, e.Client(), 400, "invalid_token", "POST", "/api/invitations/decline", map[string]string{"token": first})
		admin.Must(http.StatusNoContent, "DELETE", "/api/invitations/"+secondID, nil, in)
		expectCode(t, admin.Client, 404, "invitation_not_found", "DELETE", "/api/invitations/"+secondID, nil, in)
		expectCode(t, e.Client(), 400, "invalid_token", "POST", "/api/invitations/decline", map[string]string{"token": second})

		_, third := invite(t, e, owner, acme, email, "member")
		e.Client().Must(http.StatusNoContent, "POST", "/api/invitations/decline", map[string]string{"token": third})
		expectCode(t, e.Client(), 400, "invalid_token", "POST", "/api/invitations/signup",
			map[string]string{"token": third, "name": "Late", "password": apptest.Password})
		got := actions(auditEvents(t, owner, acme, "?action=invitation.declined&limit=1").Events)
		if len(got) != 1 || got[0][0] != "invitation.declined" {
			t.Errorf("invitation.declined events: %v", got)
		}
		got = actions(auditEvents(t, owner, acme, "?action=invitation.revoked&limit=1").Events)
		if len(got) != 1 || got[0] != [2]string{"invitation.revoked", secondID} {
			t.Errorf("invitation.revoked events: %v", got)
		}
	})

	t.Run("as another tenant", func(t *testing.T) {
		id, _ := invite(t, e, owner, acme, "acme-only-"+uuid.NewString()[:8]+"@example.com", "member")
		other := e.Signup("other")
		globex := other.CreateTenant("Globex")
		var list struct {
			Invitations []any `json:"invitations"`
		}
		other.Must(http.StatusOK, "GET", "/api/invitations", nil, apptest.InTenant(globex)).Decode(t, &list)
		if len(list.Invitations) != 0 {
			t.Errorf("Globex sees invitations: %v", list.Invitations)
		}
		expectCode(t, other.Client, 404, "invitation_not_found", "DELETE", "/api/invitations/"+id, nil, apptest.InTenant(globex))
		expectCode(t, other.Client, 404, "tenant_not_found", "GET", "/api/invitations", nil, in)
		expectCode(t, other.Client, 404, "tenant_not_found", "POST", "/api/invitations", map[string]string{"email": "x@example.com", "role": "member"}, in)
	})
}

// TestDeleteTenant (issue 10): owners only, re-authenticated; every row of
// the tenant goes; sessions that pointed at it have no tenant.
func TestDeleteTenant(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	owner := e.Signup("owner")
	acme := owner.CreateTenant("Acme")
	in := apptest.InTenant(acme)
	admin := e.Signup("admin")
	e.AddMember(acme, admin, identity.RoleAdmin)
	admin.Must(http.StatusOK, "PUT", "/api/me/tenant", map[string]string{"tenant": acme.Slug})
	createProject(t, owner, acme, "doomed")
	owner.Must(http.StatusCreated, "POST", "/api/invitations", map[string]string{"email": "late@example.com", "role": "member"}, in)

	expectCode(t, admin.Client, 403, "forbidden", "DELETE", "/api/tenant", nil, in)
	expectCode(t, owner.Client, 403, "wrong_password", "DELETE", "/api/tenant", map[string]string{"password": "not the password"}, in)
	owner.Must(http.StatusOK, "GET", "/api/tenant", nil, in)

	// Outside the re-auth window the password is required.
	e.Rebuild(func(c *app.Config) { c.ReauthWindow = time.Nanosecond })
	expectCode(t, owner.Client, 403, "reauth_required", "DELETE", "/api/tenant", nil, in)
	owner.Must(http.StatusNoContent, "DELETE", "/api/tenant", map[string]string{"password": apptest.Password}, in)

	expectCode(t, owner.Client, 404, "tenant_not_found", "GET", "/api/projects", nil, in)
	expectCode(t, admin.Client, 404, "tenant_not_found", "GET", "/api/projects", nil)
	if got := meTenant(t, admin.Client); got != "" {
		t.Errorf("the admin's session still has tenant %q", got)
	}
	for _, table := range []string{"projects", "memberships", "invitations", "audit_events"} {
		var n int
		if err := e.DB.Owner.QueryRow(t.Context(), "SELECT count(*) FROM "+table+" WHERE tenant_id = $1", acme.ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s of the deleted tenant: %d rows, %v", table, n, err)
		}
	}
	// The slug is free again.
	owner.Must(http.StatusCreated, "POST", "/api/tenants", map[string]string{"name": "Acme again", "slug": acme.Slug})
}
