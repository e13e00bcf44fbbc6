package httpapi

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
)

// Component is a domain component with tenant-scoped routes: a fork's
// product code. app.New hands each one to NewServer.
type Component interface {
	// Routes adds the component's routes. Every one of them is
	// authenticated and runs inside the request's tenant transaction, under
	// /api and, when the path is a tenant source, under /api/t/{tenant}.
	Routes(r Router)
}

// Router is where a Component adds its routes.
type Router interface {
	// Handle adds h for pattern, a method and a path such as
	// "GET /invoices/{id}". h runs inside the tenant transaction
	// (tenancy.DB(ctx)) and its response is held back until that
	// transaction has committed.
	Handle(pattern string, h Handler)
}

// tenantRouter adapts a chi.Router to Router for tenant-scoped routes.
type tenantRouter struct {
	s *Server
	r chi.Router
}

func (t tenantRouter) Handle(pattern string, h Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		panic("httpapi: route pattern " + pattern + ` is not "METHOD /path"`)
	}
	t.r.Method(method, path, t.s.tenantScoped(h))
}

// PathID parses the path parameter name as a UUID. A malformed id names
// nothing, so it fails with notFound, the component's "no such row" error.
func PathID(r *http.Request, name string, notFound error) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue(name))
	if err != nil {
		return uuid.Nil, notFound
	}
	return id, nil
}
