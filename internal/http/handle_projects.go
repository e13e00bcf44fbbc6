package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/projects"
)

type projectJSON struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	CreatedBy uuid.UUID `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

func toProjectJSON(p projects.Project) projectJSON {
	return projectJSON{ID: p.ID, Name: p.Name, CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt}
}

type projectResponse struct {
	Project projectJSON `json:"project"`
}

// projectID parses the {id} path parameter; a malformed id names no project.
func projectID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return uuid.Nil, projects.ErrNotFound
	}
	return id, nil
}

// handleListProjects lists the tenant's projects, oldest first (?limit=1..500).
func (s *Server) handleListProjects() Handler {
	type response struct {
		Projects []projectJSON `json:"projects"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		limit := projects.MaxList
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > projects.MaxList {
				return errorf(http.StatusBadRequest, "invalid_limit", "limit must be a whole number from 1 to 500.")
			}
			limit = n
		}
		list, err := s.projects.List(r.Context(), limit)
		if err != nil {
			return err
		}
		res := response{Projects: make([]projectJSON, len(list))}
		for i, p := range list {
			res.Projects[i] = toProjectJSON(p)
		}
		return respond(w, http.StatusOK, res)
	}
}

type projectRequest struct {
	Name string `json:"name"`
}

// handleCreateProject adds a project to the tenant.
func (s *Server) handleCreateProject() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req projectRequest
		if err := decode(r, &req); err != nil {
			return err
		}
		p, err := s.projects.Create(r.Context(), req.Name)
		if err != nil {
			return err
		}
		return respond(w, http.StatusCreated, projectResponse{Project: toProjectJSON(p)})
	}
}

// handleGetProject returns one project of the tenant.
func (s *Server) handleGetProject() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := projectID(r)
		if err != nil {
			return err
		}
		p, err := s.projects.Get(r.Context(), id)
		if err != nil {
			return err
		}
		return respond(w, http.StatusOK, projectResponse{Project: toProjectJSON(p)})
	}
}

// handleRenameProject changes a project's name.
func (s *Server) handleRenameProject() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := projectID(r)
		if err != nil {
			return err
		}
		var req projectRequest
		if err := decode(r, &req); err != nil {
			return err
		}
		p, err := s.projects.Rename(r.Context(), id, req.Name)
		if err != nil {
			return err
		}
		return respond(w, http.StatusOK, projectResponse{Project: toProjectJSON(p)})
	}
}

// handleDeleteProject removes a project.
func (s *Server) handleDeleteProject() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := projectID(r)
		if err != nil {
			return err
		}
		if err := s.projects.Delete(r.Context(), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
