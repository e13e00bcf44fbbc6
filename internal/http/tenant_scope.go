package httpapi

import (
	"bytes"
	"context"
	"maps"
	"net/http"

	"github.com/tenantkit/tenantkit/internal/auth"
)

// tenantScoped runs h inside the request's tenant transaction. h writes to a
// buffer; the buffer reaches the client only after the transaction has
// committed, so a client never sees a success that was then rolled back.
func (s *Server) tenantScoped(h Handler) http.HandlerFunc {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			return auth.ErrUnauthenticated
		}
		tenantID, err := s.resolver.Resolve(r, p.UserID, p.TenantID)
		if err != nil {
			return err
		}
		buf := &bufferedResponse{header: http.Header{}}
		// tenancy.Audit records the request's origin, which withOrigin put
		// in the context for identity's security events.
		err = s.tenancy.Run(r.Context(), tenantID, p.UserID, func(ctx context.Context) error {
			return h(buf, r.WithContext(ctx))
		})
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
