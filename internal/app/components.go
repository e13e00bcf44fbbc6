package app

import (
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/projects"
)

// components lists the domain components, each with its tenant-scoped
// routes. `make table` adds a line here; the marker comment stays last.
func components() []httpapi.Component {
	return []httpapi.Component{
		projects.NewService(),
		// tablegen:components
	}
}
