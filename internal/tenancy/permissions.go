package tenancy

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/problem"
)

// Permission is something a member may do in a tenant. Which roles hold it
// is decided in one place, the grants table below; code asks with Require.
type Permission string

// The permissions. A fork that needs a finer one adds it here and to grants.
const (
	// PermRead: read the tenant's domain rows and its members.
	PermRead Permission = "read"
	// PermWrite: create and edit domain rows.
	PermWrite Permission = "write"
	// PermDelete: delete domain rows.
	PermDelete Permission = "delete"
	// PermManageMembers: invite and remove members and change roles below
	// admin.
	PermManageMembers Permission = "manage_members"
	// PermManageTenant: rename, transfer and delete the tenant, and make or
	// unmake admins and owners.
	PermManageTenant Permission = "manage_tenant"
	// PermReadAudit: read the tenant's audit log (who did what: members'
	// addresses and IPs, so not every member's to see).
	PermReadAudit Permission = "read_audit"
	// PermManageAPIKeys: create, list and revoke the tenant's API keys.
	PermManageAPIKeys Permission = "manage_api_keys"
)

// permissions lists every permission.
var permissions = []Permission{PermRead, PermWrite, PermDelete, PermManageMembers, PermManageTenant, PermReadAudit, PermManageAPIKeys}

// grants is the permission table: what each role may do. Each role holds
// everything the role below it holds (a test checks it). A role not listed
// holds nothing.
var grants = map[identity.Role][]Permission{
	identity.RoleViewer: {PermRead},
	identity.RoleMember: {PermRead, PermWrite},
	identity.RoleAdmin:  {PermRead, PermWrite, PermDelete, PermManageMembers, PermReadAudit, PermManageAPIKeys},
	identity.RoleOwner:  {PermRead, PermWrite, PermDelete, PermManageMembers, PermManageTenant, PermReadAudit, PermManageAPIKeys},
}

// ErrForbidden: the caller is a member of the tenant, but their role does
// not hold the permission the request needs.
var ErrForbidden = problem.New(http.StatusForbidden, "forbidden", "Your role in this tenant does not allow this.")

// Allows reports whether role holds p. An unknown role or permission holds
// nothing.
func Allows(role identity.Role, p Permission) bool {
	return slices.Contains(grants[role], p)
}

// Require returns nil when the caller's role in the request's tenant holds
// p, and ErrForbidden when it does not. Call it at the top of every
// operation, before its first write. It fails closed: outside Run it
// returns ErrNoTenant, for a permission it does not know an error, and for
// a non-member ErrTenantNotFound.
//
// A permission that every role holds (PermRead) needs nothing but
// membership, which Run checks with the transaction's first statement
// (stopping it for a non-member) or, when fn sends none, on its own; so
// Require grants it without opening the transaction, at no round trip, and
// a non-member gets ErrTenantNotFound from there instead. Any other
// permission is decided before Require returns, from the role (Role: a
// round trip when the transaction has not opened yet), so after a nil
// whatever the caller does, in the database or not, is permitted.
func Require(ctx context.Context, p Permission) error {
	s, ok := ctx.Value(scopeKey{}).(*scoped)
	if !ok {
		return ErrNoTenant
	}
	if !slices.Contains(permissions, p) {
		return fmt.Errorf("tenancy: unknown permission %q", p)
	}
	if s.state == idle && everyRoleHolds(p) {
		return nil
	}
	role, err := Role(ctx)
	if err != nil {
		return err
	}
	if !Allows(role, p) {
		return ErrForbidden
	}
	return nil
}

// everyRoleHolds reports whether every role in the table holds p, so that
// membership alone grants it. (A test checks that the table has every role
// the database lets a membership have.)
func everyRoleHolds(p Permission) bool {
	for role := range grants {
		if !Allows(role, p) {
			return false
		}
	}
	return true
}
