// Package app builds tenantkit from its parts: identity, the session layer,
// request auth, the tenant context, the domain components and the HTTP
// server. New is the one place they are wired together; the serve command
// and every test harness (internal/apptest) call it, so what is tested is
// what runs.
//
// Adding a domain component is one package (see internal/projects) and one
// line in components.
package app
