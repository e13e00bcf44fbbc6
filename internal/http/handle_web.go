package httpapi

import (
	"bytes"
	"errors"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/go-chi/chi/v5"

	"github.com/tenantkit/tenantkit/internal/auth"
	"github.com/tenantkit/tenantkit/internal/identity"
)

// handleIndex renders the home page for anyone; signed-in callers see who
// they are and their current tenant.
func (s *Server) handleIndex(pages *template.Template) Handler {
	type data struct {
		User   *identity.User
		Tenant *identity.Tenant
		Role   identity.Role
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var d data
		if p, ok := auth.PrincipalFrom(r.Context()); ok {
			u, current, err := s.caller(r.Context(), p)
			if err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
				return err
			}
			if err == nil {
				d.User = &u
				w.Header().Set("Cache-Control", "no-store")
				if current != nil {
					d.Tenant, d.Role = &current.Tenant, current.Role
				}
			}
		}
		// Render fully before writing, so a template error is a clean 500.
		var buf bytes.Buffer
		if err := pages.ExecuteTemplate(&buf, "index.html", d); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, err := w.Write(buf.Bytes())
		return err
	}
}

// handleStatic serves one embedded asset by name; there are no directories.
func handleStatic(assets fs.FS) Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := chi.URLParam(r, "file")
		b, err := fs.ReadFile(assets, name)
		if err != nil || !fs.ValidPath(name) {
			return errorf(http.StatusNotFound, "not_found", "No such file.")
		}
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, err = w.Write(b) //nolint:gosec // G705: b is an embedded static file, not request data
		return err
	}
}

// accountPage is one of the pages mail links open: a form that account.js
// posts, with the link's token, to the JSON API.
type accountPage struct {
	Title, Action, Button, Done string
}

// The pages, by path.
var (
	verifyEmailPage = accountPage{Title: "Verify your email address", Action: "verify-email",
		Button: "Verify my address", Done: "Your address is verified."}
	resetPasswordPage = accountPage{Title: "Choose a new password", Action: "password-reset-confirm",
		Button: "Set my password", Done: "Your password is set. Sign in with it."}
	requestResetPage = accountPage{Title: "Reset your password", Action: "password-reset",
		Button: "Mail me a reset link", Done: "If the address has an account, a reset link is on its way."}
	confirmEmailPage = accountPage{Title: "Confirm your new email address", Action: "confirm-email",
		Button: "Confirm the change", Done: "Your email address is changed."}
	// The invitation page has three forms: accept (signed in), sign up
	// (a new address) and decline.
	invitationPage = accountPage{Title: "You are invited", Action: "invitation-accept",
		Button: "Accept the invitation", Done: "You joined the tenant."}
)

// handleAccountPage renders page; for /reset-password without a token, the
// form that asks for a reset link instead.
func (s *Server) handleAccountPage(pages *template.Template, page accountPage) Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		show := page
		if page == resetPasswordPage && r.URL.Query().Get("token") == "" {
			show = requestResetPage
		}
		var buf bytes.Buffer
		if err := pages.ExecuteTemplate(&buf, "account.html", show); err != nil {
			return err
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		_, err := w.Write(buf.Bytes())
		return err
	}
}
