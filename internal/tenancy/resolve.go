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

// Tenants resolves the tenant a request names for its user;
// identity.Service implements it.
type Tenants interface {
	// MemberTenant returns the id of the tenant ref (an id or a slug) names
	// when userID is an enabled member of it, in one query that does the
	// same work whether or not the tenant exists; identity.ErrTenantNotFound
	// otherwise.
	MemberTenant(ctx context.Context, userID uuid.UUID, ref string) (uuid.UUID, error)
	// Tenant looks a tenant up by ref (an id or a slug), for anyone;
	// identity.ErrTenantNotFound when there is none.
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

// Resolve returns the id of the tenant the request of userID acts in. The
// first configured source that names a tenant wins; the session's tenant
// (sessionTenant, uuid.Nil for none) is a preference, last by default, so
// any explicit source overrides it. The explicit sources (header, path,
// subdomain) that name a tenant must all name the same one, and the URL's
// (path or subdomain) must be the one the request acts in, even when a
// session configured first wins: else ErrTenantConflict. So a request
// never acts in a tenant other than one its URL shows or two of its
// sources contradict.
//
// A reference that is a tenant id is taken as it is, without a query:
// Manager.Run checks membership in every case, inside the tenant
// transaction and in the same round trip as its first statement, and
// answers a tenant that is not the caller's exactly like one that does not
// exist. A slug is resolved for userID in one query (Tenants.MemberTenant)
// that answers only for a tenant the user is an enabled member of, so
// there too a tenant that exists but is not the caller's and one that does
// not exist cost the same and answer the same: ErrTenantNotFound, or
// ErrTenantConflict next to a source that names another tenant. Nothing
// names a tenant: ErrTenantRequired. The session's tenant is not looked up.
func (r *Resolver) Resolve(req *http.Request, userID, sessionTenant uuid.UUID) (uuid.UUID, error) {
	var (
		winner Source
		refs   []string // what the explicit sources name, in order
		inURL  bool     // the path or the subdomain names a tenant
	)
	for _, src := range r.sources {
		if src == SourceSession {
			if winner == "" && sessionTenant != uuid.Nil {
				winner = SourceSession
			}
			continue
		}
		ref := r.ref(req, src)
		if ref == "" {
			continue
		}
		if winner == "" {
			winner = src
		}
		refs = append(refs, ref)
		inURL = inURL || src == SourcePath || src == SourceSubdomain
	}
	switch {
	case winner == "":
		return uuid.Nil, ErrTenantRequired
	case winner == SourceSession && !inURL:
		return sessionTenant, nil // it overrides a header listed after it
	}

	// uuid.Nil stands for "not a tenant of the caller's": two references to
	// such tenants cannot be told apart, whether or not they are the same.
	resolved := make(map[string]uuid.UUID, len(refs))
	var first uuid.UUID
	for i, ref := range refs {
		id, ok := resolved[ref]
		if !ok {
			var err error
			if id, err = r.member(req.Context(), userID, ref); err != nil {
				return uuid.Nil, err
			}
			resolved[ref] = id
		}
		if i == 0 {
			first = id
		} else if id != first {
			return uuid.Nil, ErrTenantConflict
		}
	}
	switch {
	case winner == SourceSession && first != sessionTenant:
		return uuid.Nil, ErrTenantConflict
	case winner == SourceSession:
		return sessionTenant, nil
	case first == uuid.Nil:
		return uuid.Nil, ErrTenantNotFound
	}
	return first, nil
}

// ResolveFixed is Resolve for a caller bound to one tenant, fixed (an API
// key): every source that names a tenant must name that one (by its id or
// its slug), else ErrTenantConflict; none named is fixed too. The session
// source plays no part. A slug costs a lookup; an id none.
func (r *Resolver) ResolveFixed(req *http.Request, fixed uuid.UUID) (uuid.UUID, error) {
	for _, src := range r.sources {
		if src == SourceSession {
			continue
		}
		ref := r.ref(req, src)
		if ref == "" {
			continue
		}
		id, err := uuid.Parse(ref)
		if err != nil {
			t, err := r.tenants.Tenant(req.Context(), ref)
			if errors.Is(err, identity.ErrTenantNotFound) {
				return uuid.Nil, ErrTenantConflict
			}
			if err != nil {
				return uuid.Nil, fmt.Errorf("resolve tenant: %w", err)
			}
			id = t.ID
		}
		if id != fixed {
			return uuid.Nil, ErrTenantConflict
		}
	}
	return fixed, nil
}

// member resolves ref for userID: the tenant's id, or uuid.Nil when it is
// not a tenant the user is a member of (or no tenant at all). An id is
// returned as it is, for Run to check.
func (r *Resolver) member(ctx context.Context, userID uuid.UUID, ref string) (uuid.UUID, error) {
	if id, err := uuid.Parse(ref); err == nil {
		return id, nil
	}
	id, err := r.tenants.MemberTenant(ctx, userID, ref)
	if errors.Is(err, identity.ErrTenantNotFound) {
		return uuid.Nil, nil
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("resolve tenant: %w", err)
	}
	return id, nil
}

// ref returns the tenant reference an explicit source carries, or "".
func (r *Resolver) ref(req *http.Request, src Source) string {
	switch src {
	case SourceHeader:
		return strings.TrimSpace(req.Header.Get(HeaderName))
	case SourcePath:
		return req.PathValue(PathParam)
	case SourceSubdomain:
		return r.subdomain(req.Host)
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
