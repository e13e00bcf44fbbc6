package app

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/jobs"
	"github.com/tenantkit/tenantkit/internal/mail"
)

// How often the periodic cleanups run (on one replica at a time).
const (
	sessionCleanupEvery = 5 * time.Minute
	tokenCleanupEvery   = 15 * time.Minute
	// Security events are kept identity.SecurityEventRetention.
	securityEventCleanupEvery = 6 * time.Hour
)

// expirer is a session store that must delete expired sessions itself (the
// Postgres store; Redis expires keys on its own).
type expirer interface {
	DeleteExpired(ctx context.Context) (int64, error)
}

// newQueue builds the job queue: mail rendered for cfg's product and base
// URL, identity's background tasks, and the periodic cleanups. Its
// handlers reach the app through a, which New fills in before any job
// can run (workers start after New returns).
func newQueue(cfg Config, deps Deps, a *App, log *slog.Logger) (*jobs.Queue, error) {
	renderer, err := mail.NewRenderer(cmp.Or(cfg.Product, "tenantkit"), cmp.Or(cfg.BaseURL, "http://localhost:8080"))
	if err != nil {
		return nil, err
	}
	jc := cfg.Jobs
	jc.Logger = log
	jc.Sender = deps.Mail
	jc.Renderer = renderer
	jc.Key = cfg.TenantContextKey
	jc.RequestID = httpapi.RequestID
	jc.Tasks = func(ctx context.Context, name, arg string) error { return a.Identity.RunTask(ctx, name, arg) }
	jc.Periodic = []jobs.Periodic{{
		Name: "account_tokens", Every: tokenCleanupEvery,
		Run: func(ctx context.Context) (int64, error) { return a.Identity.DeleteExpiredTokens(ctx) },
	}, {
		Name: "invitations", Every: tokenCleanupEvery,
		Run: func(ctx context.Context) (int64, error) { return a.Identity.DeleteExpiredInvitations(ctx) },
	}, {
		Name: "security_events", Every: securityEventCleanupEvery,
		Run: func(ctx context.Context) (int64, error) { return a.Identity.DeleteOldSecurityEvents(ctx) },
	}}
	if st, ok := deps.Sessions.(expirer); ok {
		jc.Periodic = append(jc.Periodic, jobs.Periodic{Name: "sessions", Every: sessionCleanupEvery, Run: st.DeleteExpired})
	}
	return jobs.New(deps.Pool, jc)
}
