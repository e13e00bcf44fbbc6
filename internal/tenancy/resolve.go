package tenancy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/identity"
)

// Source is one place a request can name its tenant.
type Source string

// The sources, tried in the configured order; the first that names a tenant wins.
const (
	SourceHeader    Source = "header"    // X-Tenant: <id or slug>
	SourcePath      Source = "path"      // /api/t/{tenant}/...
	SourceSubdomain Source = "subdomain" // <slug>.<base domain>
	SourceSession   Source = "session"   // the session's current tenant
)

// DefaultSources returns the default resolution order: explicit choices
// first, the session last.
func DefaultSources() []Source {
	return []Source{SourceHeader, SourcePath, SourceSubdomain, SourceSession}
}

// HeaderName is the request header that names a tenant.
const HeaderName = "X-Tenant"

// PathParam is the path wildcard that names a tenant (/api/t/{tenant}/…),
// read with http.Request.PathValue.
const PathParam = "tenant"

// ParseSources parses a comma-separated list such as "header,path,session".
func ParseSources(s string) ([]Source, error) {
	var out []Source
	seen := map[Source]bool{}
	for part := range strings.SplitSeq(s, ",") {
		src := Source(strings.TrimSpace(part))
		switch src {
		case SourceHeader, SourcePath, SourceSubdomain, SourceSession:
		default:
			return nil, fmt.Errorf("unknown tenant source %q (want header, path, subdomain or session)", src)
		}
		if seen[src] {
			return nil, fmt.Errorf("tenant source %q listed twice", src)
		}
		seen[src] = true
		out = append(out, src)
	}
	return out, nil
}

// Tenants looks a tenant up by slug; identity.Service implements it.
type Tenants interface {
	Tenant(ctx context.Context, ref string) (identity.Tenant, error)
}

// Resolver finds the tenant a request names.
type Resolver struct {
	sources    []Source
	baseDomain string // e.g. "example.com"; empty disables subdomains
	tenants    Tenants
}

// NewResolver returns a Resolver that tries sources in order.
func NewResolver(sources []Source, baseDomain string, tenants Tenants) *Resolver {
	return &Resolver{sources: sources, baseDomain: strings.ToLower(strings.TrimSuffix(baseDomain, ".")), tenants: tenants}
}

// PathEnabled reports whether the /t/{tenant} path prefix is a configured
// source; routes.go mounts the prefixed routes only then.
func (r *Resolver) PathEnabled() bool {
	return slices.Contains(r.sources, SourcePath)
}

// Resolve returns the id of the tenant the request names: the first
// configured source that names one wins, the session's current tenant
// (uuid.Nil for none) included. A URL whose /t/{tenant} prefix names another
// tenant than the winner fails with ErrTenantConflict, so a request never
// acts in a tenant other than the one its path shows. It fails with
// ErrTenantRequired when nothing names a tenant and ErrTenantNotFound when
// the named one does not exist. It does not check membership: Manager.Run
// does, inside the tenant transaction.
func (r *Resolver) Resolve(req *http.Request, sessionTenant uuid.UUID) (uuid.UUID, error) {
	for _, src := range r.sources {
		ref := r.ref(req, src, sessionTenant)
		if ref == "" {
			continue
		}
		id, err := r.lookup(req.Context(), ref)
		if err != nil {
			return uuid.Nil, err
		}
		if path := req.PathValue(PathParam); src != SourcePath && path != "" {
			// A path naming no tenant conflicts too, so the answer never
			// tells a non-member whether a slug exists.
			pathID, err := r.lookup(req.Context(), path)
			if errors.Is(err, ErrTenantNotFound) || (err == nil && pathID != id) {
				return uuid.Nil, ErrTenantConflict
			}
			if err != nil {
				return uuid.Nil, err
			}
		}
		return id, nil
	}
	return uuid.Nil, ErrTenantRequired
}

// lookup turns an id or slug into a tenant id. An id needs no lookup: the
// membership check proves it exists.
func (r *Resolver) lookup(ctx context.Context, ref string) (uuid.UUID, error) {
	if id, err := uuid.Parse(ref); err == nil && len(ref) == 36 {
		return id, nil
	}
	t, err := r.tenants.Tenant(ctx, ref)
	if errors.Is(err, identity.ErrTenantNotFound) {
		return uuid.Nil, ErrTenantNotFound
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("resolve tenant: %w", err)
	}
	return t.ID, nil
}

func (r *Resolver) ref(req *http.Request, src Source, sessionTenant uuid.UUID) string {
	switch src {
	case SourceHeader:
		return strings.TrimSpace(req.Header.Get(HeaderName))
	case SourcePath:
		return req.PathValue(PathParam)
	case SourceSubdomain:
		return r.subdomain(req.Host)
	case SourceSession:
		if sessionTenant != uuid.Nil {
			return sessionTenant.String()
		}
	}
	return ""
}

// subdomain returns "acme" for host "acme.example.com" when the base domain
// is example.com; only one label deep, anything else names no tenant.
func (r *Resolver) subdomain(host string) string {
	if r.baseDomain == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	label, ok := strings.CutSuffix(host, "."+r.baseDomain)
	if !ok || label == "" || strings.Contains(label, ".") {
		return ""
	}
	return label
}
