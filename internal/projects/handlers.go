package projects

import (
	"net/http"

	httpapi "github.com/tenantkit/tenantkit/internal/http"
)

// Routes adds the projects API. Each handler runs inside the request's
// tenant transaction.
func (s *Service) Routes(r httpapi.Router) {
	r.Handle("GET /projects", s.handleList)
	r.Handle("POST /projects", s.handleCreate)
	r.Handle("GET /projects/{id}", s.handleGet)
	r.Handle("PATCH /projects/{id}", s.handleUpdate)
	r.Handle("DELETE /projects/{id}", s.handleDelete)
}

type projectResponse struct {
	Project Project `json:"project"`
}

// handleList lists the tenant's projects, oldest first, a page at a time.
func (s *Service) handleList(w http.ResponseWriter, r *http.Request) error {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	list, err := s.List(r.Context(), page.After, page.Fetch())
	if err != nil {
		return err
	}
	list, next := httpapi.Paginate(page, list, Project.key)
	return httpapi.Respond(w, http.StatusOK, struct {
		Projects   []Project `json:"projects"`
		NextCursor string    `json:"next_cursor,omitempty"`
	}{list, next})
}

// handleCreate adds a project.
func (s *Service) handleCreate(w http.ResponseWriter, r *http.Request) error {
	var in Input
	if err := httpapi.Decode(r, &in); err != nil {
		return err
	}
	p, err := s.Create(r.Context(), in)
	if err != nil {
		return err
	}
	return httpapi.Respond(w, http.StatusCreated, projectResponse{p})
}

// handleGet returns one project.
func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) error {
	id, err := httpapi.PathID(r, "id", ErrNotFound)
	if err != nil {
		return err
	}
	p, err := s.Get(r.Context(), id)
	if err != nil {
		return err
	}
	return httpapi.Respond(w, http.StatusOK, projectResponse{p})
}

// handleUpdate changes the fields the body names.
func (s *Service) handleUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := httpapi.PathID(r, "id", ErrNotFound)
	if err != nil {
		return err
	}
	var patch Patch
	if err := httpapi.Decode(r, &patch); err != nil {
		return err
	}
	p, err := s.Update(r.Context(), id, patch)
	if err != nil {
		return err
	}
	return httpapi.Respond(w, http.StatusOK, projectResponse{p})
}

// handleDelete removes a project.
func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := httpapi.PathID(r, "id", ErrNotFound)
	if err != nil {
		return err
	}
	if err := s.Delete(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
