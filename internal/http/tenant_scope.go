package httpapi

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"strings"

	"github.com/tenantkit/tenantkit/internal/auth"
	"github.com/tenantkit/tenantkit/internal/tenancy"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// adminReasonHeader is a platform admin's opt-in to act in a tenant they
// are not a member of (tenancy.Manager.RunAsAdmin): why they do.
const adminReasonHeader = "X-Admin-Reason"

// tenantScoped runs h inside the request's tenant transaction. h writes to a
// buffer; the buffer reaches the client only after the transaction has
// committed, so a client never sees a success that was then rolled back.
//
// A request with an X-Admin-Reason header runs in the admin opt-in
// transaction instead, which a platform admin may use in any tenant and
// which records their access in its audit log; an empty reason is 400
// admin_reason_required.
func (s *Server) tenantScoped(h Handler) http.HandlerFunc {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			return auth.ErrUnauthenticated
		}
		buf := &bufferedResponse{header: http.Header{}}
		// tenancy.Audit records the request's origin, which withOrigin put
		// in the context for identity's security events.
		fn := func(ctx context.Context) error {
			return h(buf, r.WithContext(ctx))
		}
		if p.Method == auth.MethodAPIKey {
			// An API key acts in its own tenant only: naming another is a
			// conflict, not a different tenant.
			tenantID, err := s.resolver.ResolveFixed(r, p.TenantID)
			if err != nil {
				return err
			}
			if err := s.tenancy.RunAsKey(r.Context(), tenantID, p.APIKeyID, p.KeyCreatedBy, fn); err != nil {
				return err
			}
			buf.flushTo(w)
			return nil
		}
		tenantID, err := s.resolver.Resolve(r, p.UserID, p.TenantID)
		if err != nil {
			return err
		}
		if reasons, ok := r.Header[adminReasonHeader]; ok {
			// The platform admin's opt-in: recorded in the tenant's audit
			// log by RunAsAdmin, and logged here. For anyone who is neither
			// a platform admin nor a member it answers as Run does.
			reason := strings.Join(reasons, ", ")
			s.log.InfoContext(r.Context(), "platform admin opt-in", "user_id", p.UserID, "tenant_id", tenantID,
				"reason", validation.Truncate(reason, tenancy.MaxAdminReason), "request_id", RequestID(r.Context()))
			err = s.tenancy.RunAsAdmin(r.Context(), tenantID, p.UserID, reason, fn)
		} else {
			err = s.tenancy.Run(r.Context(), tenantID, p.UserID, fn)
		}
		if err != nil {
			return err
		}
		buf.flushTo(w)
		return nil
	})
}

// bufferedResponse holds a response until it may be sent.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedResponse) flushTo(w http.ResponseWriter) {
	maps.Copy(w.Header(), b.header)
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}
