package apptest

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/identity"
)

// Password is every Signup user's password.
const Password = "correct horse battery staple"

// User is a signed-up user with their signed-in browser.
type User struct {
	*Client
	ID    string
	Email string
}

// Signup signs up a new user named name, with a unique email (name in
// lower case with a random suffix, @example.com) and Password, through the
// API (in the open sign-up mode, the test default), marks their address
// verified as an operator would, and returns them signed in.
func (e *Env) Signup(name string) User {
	e.T.Helper()
	c := e.Client()
	email := unique(name) + "@example.com"
	r := c.Must(http.StatusCreated, "POST", "/api/auth/signup", map[string]string{
		"email": email, "password": Password, "name": name,
	})
	var got struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	r.Decode(e.T, &got)
	if err := e.App.Identity.MarkEmailVerified(e.T.Context(), uuid.MustParse(got.User.ID)); err != nil {
		e.T.Fatalf("apptest: verify %s: %v", email, err)
	}
	return User{Client: c, ID: got.User.ID, Email: email}
}

// Tenant is a created tenant.
type Tenant struct{ ID, Slug string }

// CreateTenant creates a tenant named name, owned by u, through the API. Its
// slug is name in lower case with a unique suffix.
func (u User) CreateTenant(name string) Tenant {
	t := u.env.T
	t.Helper()
	r := u.Must(http.StatusCreated, "POST", "/api/tenants", map[string]string{"name": name, "slug": unique(name)})
	var got struct {
		Tenant Tenant `json:"tenant"`
	}
	r.Decode(t, &got)
	return got.Tenant
}

// AddMember gives u role in tn, through identity's API (an operator's
// act, like MarkEmailVerified in Signup).
func (e *Env) AddMember(tn Tenant, u User, role identity.Role) {
	e.T.Helper()
	if err := e.App.Identity.AddMember(e.T.Context(), uuid.MustParse(tn.ID), uuid.MustParse(u.ID), role); err != nil {
		e.T.Fatalf("apptest: make %s %s of %s: %v", u.Email, role, tn.Slug, err)
	}
}

// unique makes a unique slug and email local part from name: its letters
// and digits in lower case, other runs of characters as one dash, and a
// random suffix.
func unique(name string) string {
	var b strings.Builder
	dash := true // no leading dash
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	s := b.String()
	if len(s) > 40 {
		s = s[:40]
	}
	if s != "" && !strings.HasSuffix(s, "-") {
		s += "-"
	}
	return s + uuid.NewString()[:8]
}
