package app

import (
	"github.com/tenantkit/tenantkit/internal/audit"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/projects"
)

// components lists the domain components, each with its tenant-scoped
// routes. `make table` adds a line here; the marker comment stays last.
func components() []httpapi.Component {
	return []httpapi.Component{
		audit.NewService(),
		projects.NewService(),
		// tablegen:components
	}
}
