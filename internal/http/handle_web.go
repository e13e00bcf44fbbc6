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
