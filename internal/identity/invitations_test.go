package identity

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/mail"
)

func TestInvite(t *testing.T) {
	s, o := newLifecycleService(t)
	ctx := t.Context()
	owner := signUp(t, s)
	tn := createTenant(t, s, owner.ID)
	admin, member := signUp(t, s), signUp(t, s)
	for _, m := range []struct {
		u    User
		role Role
	}{{admin, RoleAdmin}, {member, RoleMember}} {
		if err := s.AddMember(ctx, tn.ID, m.u.ID, m.role); err != nil {
			t.Fatal(err)
		}
	}
	as := func(u User) Actor { return Actor{UserID: u.ID, RequestID: "req-1", IP: "192.0.2.1"} }

	email := uniqueEmail()
	inv, err := s.Invite(ctx, as(admin), tn.ID, "  "+strings.ToUpper(email)+" ", RoleMember)
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	if inv.Role != RoleMember || inv.InvitedBy != admin.ID || !strings.EqualFold(inv.Email, email) ||
		inv.ExpiresAt.Sub(inv.CreatedAt) != InvitationTTL {
		t.Errorf("invitation: %+v", inv)
	}
	n := o.last(t, mail.KindInvitation, email)
	if n.Token == "" || n.Tenant != tn.Name || n.Inviter != admin.Email || n.Role != "member" {
		t.Errorf("mail: %+v", n)
	}

	for _, c := range []struct {
		name  string
		actor User
		email string
		role  Role
		want  error
	}{
		{"an admin invites an admin", admin, uniqueEmail(), RoleAdmin, ErrRoleForbidden},
		{"an admin invites an owner", admin, uniqueEmail(), RoleOwner, ErrRoleForbidden},
		{"a member invites", member, uniqueEmail(), RoleViewer, ErrRoleForbidden},
		{"a member's address", admin, strings.ToUpper(member.Email), RoleViewer, ErrAlreadyMember},
		{"a non-member invites", signUp(t, s), uniqueEmail(), RoleViewer, ErrNotMember},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := o.count()
			if _, err := s.Invite(ctx, as(c.actor), tn.ID, c.email, c.role); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
			if o.count() != before {
				t.Error("a refused invitation was mailed")
			}
		})
	}
	if _, err := s.Invite(ctx, as(owner), tn.ID, uniqueEmail(), RoleAdmin); err != nil {
		t.Errorf("an owner invites an admin: %v", err)
	}
	if _, err := s.Invite(ctx, as(owner), tn.ID, "not an address", "boss"); err == nil || !strings.Contains(err.Error(), "role") {
		t.Errorf("malformed: %v", err)
	}

	t.Run("inviting again replaces the invitation", func(t *testing.T) {
		again, err := s.Invite(ctx, as(owner), tn.ID, email, RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != inv.ID {
			t.Errorf("id %s, want the same invitation %s", again.ID, inv.ID)
		}
		second := o.last(t, mail.KindInvitation, email)
		if second.Token == n.Token {
			t.Fatal("the same token twice")
		}
		invitee := signUpAs(t, s, email)
		if _, err := s.AcceptInvitation(ctx, as(invitee), n.Token); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("the replaced link: %v, want ErrTokenInvalid", err)
		}
		tr, err := s.AcceptInvitation(ctx, as(invitee), second.Token)
		if err != nil || tr.Tenant.ID != tn.ID || tr.Role != RoleViewer {
			t.Fatalf("AcceptInvitation = %+v, %v", tr, err)
		}
		if _, err := s.AcceptInvitation(ctx, as(invitee), second.Token); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("accepted twice: %v", err)
		}
	})
}

// signUpAs creates a user with a verified address email.
func signUpAs(t *testing.T, s *Service, email string) User {
	t.Helper()
	u, err := s.SignUp(t.Context(), email, goodPassword, "Invitee")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkEmailVerified(t.Context(), u.ID); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAcceptInvitation(t *testing.T) {
	s, o := newLifecycleService(t)
	ctx := t.Context()
	owner := signUp(t, s)
	tn := createTenant(t, s, owner.ID)
	invite := func(email string, role Role) string {
		t.Helper()
		if _, err := s.Invite(ctx, Actor{UserID: owner.ID}, tn.ID, email, role); err != nil {
			t.Fatal(err)
		}
		return o.last(t, mail.KindInvitation, email).Token
	}

	t.Run("another address", func(t *testing.T) {
		email := uniqueEmail()
		token := invite(email, RoleAdmin)
		stranger := signUp(t, s)
		if _, err := s.AcceptInvitation(ctx, Actor{UserID: stranger.ID}, token); !errors.Is(err, ErrInvitationEmailMismatch) {
			t.Fatalf("got %v, want ErrInvitationEmailMismatch", err)
		}
		// The invitation stays usable by its address.
		invitee := signUpAs(t, s, email)
		if tr, err := s.AcceptInvitation(ctx, Actor{UserID: invitee.ID}, token); err != nil || tr.Role != RoleAdmin {
			t.Fatalf("after a mismatch: %+v, %v", tr, err)
		}
	})

	t.Run("an unverified address", func(t *testing.T) {
		email := uniqueEmail()
		token := invite(email, RoleMember)
		u, err := s.SignUp(ctx, email, goodPassword, "Unverified")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcceptInvitation(ctx, Actor{UserID: u.ID}, token); !errors.Is(err, ErrInvitationEmailMismatch) {
			t.Fatalf("got %v, want ErrInvitationEmailMismatch", err)
		}
	})

	t.Run("a disabled user", func(t *testing.T) {
		email := uniqueEmail()
		token := invite(email, RoleMember)
		u := signUpAs(t, s, email)
		if err := s.DisableUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcceptInvitation(ctx, Actor{UserID: u.ID}, token); !errors.Is(err, ErrUserNotFound) {
			t.Fatalf("got %v, want ErrUserNotFound", err)
		}
	})

	t.Run("expired", func(t *testing.T) {
		email := uniqueEmail()
		token := invite(email, RoleMember)
		if _, err := s.pool.Exec(ctx, "UPDATE invitations SET created_at = now() - interval '8 days', expires_at = now() - interval '1 second' WHERE lower(email) = lower($1)", email); err != nil {
			t.Fatal(err)
		}
		u := signUpAs(t, s, email)
		if _, err := s.AcceptInvitation(ctx, Actor{UserID: u.ID}, token); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("got %v, want ErrTokenInvalid", err)
		}
		invite(uniqueEmail(), RoleMember) // a live one stays
		if _, err := s.pool.Exec(ctx, "UPDATE invitations SET created_at = now() - interval '8 days', expires_at = now() - interval '1 second' WHERE lower(email) = lower($1)", email); err != nil {
			t.Fatal(err)
		}
		// AcceptInvitation's failed transaction rolled back the expired
		// row's deletion: the cleanup finds it.
		var before int
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM invitations WHERE expires_at > now()").Scan(&before); err != nil {
			t.Fatal(err)
		}
		if n, err := s.DeleteExpiredInvitations(ctx); err != nil || n < 1 {
			t.Fatalf("DeleteExpiredInvitations = %d, %v", n, err)
		}
		var after int
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM invitations WHERE expires_at > now()").Scan(&after); err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Errorf("live invitations: %d before the cleanup, %d after", before, after)
		}
	})

	t.Run("declined", func(t *testing.T) {
		email := uniqueEmail()
		token := invite(email, RoleMember)
		if err := s.DeclineInvitation(ctx, token); err != nil {
			t.Fatal(err)
		}
		if err := s.DeclineInvitation(ctx, token); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("declined twice: %v", err)
		}
		u := signUpAs(t, s, email)
		if _, err := s.AcceptInvitation(ctx, Actor{UserID: u.ID}, token); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("accepted after declining: %v", err)
		}
	})

	t.Run("malformed tokens", func(t *testing.T) {
		for _, token := range []string{"", "short", strings.Repeat("A", 43), strings.Repeat("!", 43)} {
			if _, err := s.AcceptInvitation(ctx, Actor{UserID: owner.ID}, token); !errors.Is(err, ErrTokenInvalid) {
				t.Errorf("Accept(%q) = %v", token, err)
			}
			if err := s.DeclineInvitation(ctx, token); !errors.Is(err, ErrTokenInvalid) {
				t.Errorf("Decline(%q) = %v", token, err)
			}
		}
	})

	t.Run("a member already keeps their role", func(t *testing.T) {
		email := uniqueEmail()
		u := signUpAs(t, s, email)
		token := invite(email, RoleViewer)
		if err := s.AddMember(ctx, tn.ID, u.ID, RoleAdmin); err != nil {
			t.Fatal(err)
		}
		tr, err := s.AcceptInvitation(ctx, Actor{UserID: u.ID}, token)
		if err != nil || tr.Role != RoleAdmin {
			t.Fatalf("got %+v, %v; want the admin role kept", tr, err)
		}
	})
}

func TestSignUpWithInvitation(t *testing.T) {
	s, o := newLifecycleService(t)
	ctx := t.Context()
	owner := signUp(t, s)
	tn := createTenant(t, s, owner.ID)
	email := uniqueEmail()
	if _, err := s.Invite(ctx, Actor{UserID: owner.ID}, tn.ID, email, RoleMember); err != nil {
		t.Fatal(err)
	}
	token := o.last(t, mail.KindInvitation, email).Token

	if _, _, err := s.SignUpWithInvitation(ctx, token, "short", "New"); err == nil {
		t.Fatal("a malformed password was accepted")
	}
	if _, _, err := s.SignUpWithInvitation(ctx, token, email, "New"); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("the address as password: %v, want ErrWeakPassword", err)
	}
	u, tr, err := s.SignUpWithInvitation(ctx, token, goodPassword, "New Member")
	if err != nil {
		t.Fatal(err)
	}
	if !u.EmailVerified || !strings.EqualFold(u.Email, email) || tr.Tenant.ID != tn.ID || tr.Role != RoleMember {
		t.Errorf("got %+v, %+v", u, tr)
	}
	if _, err := s.Authenticate(ctx, email, goodPassword); err != nil {
		t.Errorf("signing in: %v", err)
	}
	if list, err := s.UserTenants(ctx, u.ID); err != nil || len(list) != 1 || list[0].ID != tn.ID {
		t.Errorf("UserTenants = %+v, %v", list, err)
	}
	if _, _, err := s.SignUpWithInvitation(ctx, token, goodPassword, "Again"); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("the link twice: %v", err)
	}

	t.Run("an address with an account", func(t *testing.T) {
		existing := signUp(t, s)
		if _, err := s.Invite(ctx, Actor{UserID: owner.ID}, tn.ID, existing.Email, RoleMember); err != nil {
			t.Fatal(err)
		}
		token := o.last(t, mail.KindInvitation, existing.Email).Token
		if _, _, err := s.SignUpWithInvitation(ctx, token, goodPassword, "Squatter"); !errors.Is(err, ErrEmailTaken) {
			t.Fatalf("got %v, want ErrEmailTaken", err)
		}
		// Nothing changed: the invitation still works for the account.
		if _, err := s.AcceptInvitation(ctx, Actor{UserID: existing.ID}, token); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRevokeInvitation(t *testing.T) {
	s, o := newLifecycleService(t)
	ctx := t.Context()
	owner, admin := signUp(t, s), signUp(t, s)
	tn := createTenant(t, s, owner.ID)
	if err := s.AddMember(ctx, tn.ID, admin.ID, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	ofAdmin, err := s.Invite(ctx, Actor{UserID: owner.ID}, tn.ID, uniqueEmail(), RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	ofMember, err := s.Invite(ctx, Actor{UserID: owner.ID}, tn.ID, uniqueEmail(), RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeInvitation(ctx, Actor{UserID: admin.ID}, tn.ID, ofAdmin.ID); !errors.Is(err, ErrRoleForbidden) {
		t.Errorf("an admin revokes an admin's invitation: %v", err)
	}
	if err := s.RevokeInvitation(ctx, Actor{UserID: admin.ID}, tn.ID, ofMember.ID); err != nil {
		t.Errorf("an admin revokes a member's invitation: %v", err)
	}
	if err := s.RevokeInvitation(ctx, Actor{UserID: owner.ID}, tn.ID, ofMember.ID); !errors.Is(err, ErrInvitationNotFound) {
		t.Errorf("revoked twice: %v", err)
	}
	// The forbidden revocation rolled back: the invitation still works.
	token := o.last(t, mail.KindInvitation, ofAdmin.Email).Token
	u := signUpAs(t, s, ofAdmin.Email)
	if _, err := s.AcceptInvitation(ctx, Actor{UserID: u.ID}, token); err != nil {
		t.Errorf("after a refused revocation: %v", err)
	}
	// Another tenant's owner cannot revoke it, even by id.
	other := signUp(t, s)
	otherTenant := createTenant(t, s, other.ID)
	again, err := s.Invite(ctx, Actor{UserID: owner.ID}, tn.ID, uniqueEmail(), RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeInvitation(ctx, Actor{UserID: other.ID}, otherTenant.ID, again.ID); !errors.Is(err, ErrInvitationNotFound) {
		t.Errorf("as another tenant: %v", err)
	}
}

func TestDeleteTenant(t *testing.T) {
	s, _ := newLifecycleService(t)
	ctx := t.Context()
	owner, admin := signUp(t, s), signUp(t, s)
	tn := createTenant(t, s, owner.ID)
	if err := s.AddMember(ctx, tn.ID, admin.ID, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Invite(ctx, Actor{UserID: owner.ID}, tn.ID, uniqueEmail(), RoleMember); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteTenant(ctx, Actor{UserID: admin.ID}, tn.ID); !errors.Is(err, ErrRoleForbidden) {
		t.Fatalf("an admin deletes: %v", err)
	}
	if _, err := s.DeleteTenant(ctx, Actor{UserID: signUp(t, s).ID}, tn.ID); !errors.Is(err, ErrNotMember) {
		t.Fatalf("a stranger deletes: %v", err)
	}
	got, err := s.DeleteTenant(ctx, Actor{UserID: owner.ID}, tn.ID)
	if err != nil || got.ID != tn.ID {
		t.Fatalf("DeleteTenant = %+v, %v", got, err)
	}
	for _, table := range []string{"memberships", "invitations"} {
		var n int
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE tenant_id = $1", tn.ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s left: %d, %v", table, n, err)
		}
	}
	if _, err := s.DeleteTenant(ctx, Actor{UserID: owner.ID}, tn.ID); !errors.Is(err, ErrNotMember) {
		t.Errorf("deleted twice: %v", err)
	}
	if _, err := s.DeleteTenant(ctx, Actor{UserID: owner.ID}, uuid.New()); !errors.Is(err, ErrNotMember) {
		t.Errorf("no such tenant: %v", err)
	}
}

// TestReinviteNeedsRevokeRights (review of issue 10): replacing a pending
// invitation ends it, so an admin cannot replace an owner's invitation to
// an admin role; an owner can.
func TestReinviteNeedsRevokeRights(t *testing.T) {
	s, _ := newLifecycleService(t)
	ctx := t.Context()
	owner, admin := signUp(t, s), signUp(t, s)
	tn := createTenant(t, s, owner.ID)
	if err := s.AddMember(ctx, tn.ID, admin.ID, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	email := uniqueEmail()
	if _, err := s.Invite(ctx, Actor{UserID: owner.ID}, tn.ID, email, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Invite(ctx, Actor{UserID: admin.ID}, tn.ID, email, RoleMember); !errors.Is(err, ErrRoleForbidden) {
		t.Errorf("an admin replaces an owner's admin invitation: %v, want ErrRoleForbidden", err)
	}
	if inv, err := s.Invite(ctx, Actor{UserID: owner.ID}, tn.ID, email, RoleMember); err != nil || inv.Role != RoleMember {
		t.Errorf("the owner replaces it: %+v, %v", inv, err)
	}
	if _, err := s.Invite(ctx, Actor{UserID: admin.ID}, tn.ID, email, RoleViewer); err != nil {
		t.Errorf("an admin replaces a member invitation: %v", err)
	}
}
