package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/tenantkit/tenantkit/web"
)

// routes is the whole HTTP surface; openapi.yaml beside it describes it and a test
// keeps the two in step.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(recordRoute)
	r.NotFound(s.handle(func(http.ResponseWriter, *http.Request) error {
		return errorf(http.StatusNotFound, "not_found", "No such route.")
	}))
	r.MethodNotAllowed(s.handle(func(http.ResponseWriter, *http.Request) error {
		return errorf(http.StatusMethodNotAllowed, "method_not_allowed", "This route does not accept that method.")
	}))

	// Operations: no session, no tenant.
	r.Get("/healthz", s.handle(s.handleHealthz()))
	r.Get("/readyz", s.handle(s.handleReadyz()))
	r.Get("/api/openapi.yaml", s.handle(handleOpenAPI()))
	r.Get("/static/{file}", s.handle(handleStatic(web.Static())))

	// The pages mail links open; what they do, they do through the API.
	r.Get("/verify-email", s.handle(s.handleAccountPage(s.pages, verifyEmailPage)))
	r.Get("/reset-password", s.handle(s.handleAccountPage(s.pages, resetPasswordPage)))
	r.Get("/confirm-email", s.handle(s.handleAccountPage(s.pages, confirmEmailPage)))
	r.Get("/invitation", s.handle(s.handleAccountPage(s.pages, invitationPage)))

	// Pages: the session is read (to greet a signed-in caller) but optional.
	r.Group(func(r chi.Router) {
		r.Use(s.sessions.LoadAndSave, s.auth.Authenticate)
		r.Get("/", s.handle(s.handleIndex(s.pages)))
	})

	r.Route("/api", func(r chi.Router) {
		r.Use(noStore, withOrigin, s.sessions.LoadAndSave, s.auth.Authenticate)

		// Public.
		r.With(s.limitByIP).Post("/auth/signup", s.handle(s.handleSignup()))
		r.With(s.limitByIP).Post("/auth/login", s.handle(s.handleLogin()))
		r.With(s.limitByIP).Post("/auth/verify-email", s.handle(s.handleVerifyEmail()))
		r.With(s.limitByIP).Post("/auth/verify-email/resend", s.handle(s.handleResendVerification()))
		r.With(s.limitByIP).Post("/auth/password-reset", s.handle(s.handlePasswordReset()))
		r.With(s.limitByIP).Post("/auth/password-reset/confirm", s.handle(s.handlePasswordResetConfirm()))
		r.With(s.limitByIP).Post("/auth/token", s.handle(s.handleToken()))
		r.With(s.limitByIP).Post("/auth/revoke", s.handle(s.handleRevokeToken()))
		r.With(s.limitByIP).Post("/invitations/signup", s.handle(s.handleInvitationSignup()))
		r.With(s.limitByIP).Post("/invitations/decline", s.handle(s.handleDeclineInvitation()))

		// Authenticated.
		r.Group(func(r chi.Router) {
			r.Use(s.auth.Require)
			r.Post("/auth/logout", s.handle(s.handleLogout()))
			r.Get("/me", s.handle(s.handleMe()))
			r.Post("/me/password", s.handle(s.handleChangePassword()))
			r.Post("/me/email", s.handle(s.handleChangeEmail()))
			r.Post("/me/email/confirm", s.handle(s.handleConfirmEmail()))
			r.Get("/me/sessions", s.handle(s.handleListSessions()))
			r.Get("/me/security-events", s.handle(s.handleSecurityEvents()))
			r.Delete("/me/sessions/{id}", s.handle(s.handleRevokeSession()))
			r.Post("/me/sessions/revoke-others", s.handle(s.handleRevokeOtherSessions()))
			r.Put("/me/tenant", s.handle(s.handleSwitchTenant()))
			r.Get("/tenants", s.handle(s.handleListTenants()))
			r.Post("/tenants", s.handle(s.handleCreateTenant()))
			r.Post("/invitations/accept", s.handle(s.handleAcceptInvitation()))

			// Tenant-scoped: the tenant comes from X-Tenant, the /t/{tenant}
			// prefix, the subdomain or the session, in the configured order.
			tenantRoutes := func(r chi.Router) {
				r.Get("/members", s.tenantScoped(s.handleListMembers()))
				r.Post("/members/leave", s.tenantScoped(s.handleLeaveTenant()))
				r.Patch("/members/{user_id}", s.tenantScoped(s.handleChangeMemberRole()))
				r.Delete("/members/{user_id}", s.tenantScoped(s.handleRemoveMember()))
				r.Get("/tenant", s.tenantScoped(s.handleGetTenant()))
				r.Patch("/tenant", s.tenantScoped(s.handleUpdateTenant()))
				r.Post("/tenant/transfer", s.tenantScoped(s.handleTransferTenant()))
				r.Delete("/tenant", s.tenantScoped(s.handleDeleteTenant()))
				r.Get("/api-keys", s.tenantScoped(s.handleListAPIKeys()))
				r.Post("/api-keys", s.tenantScoped(s.handleCreateAPIKey()))
				r.Delete("/api-keys/{id}", s.tenantScoped(s.handleRevokeAPIKey()))
				r.Get("/invitations", s.tenantScoped(s.handleListInvitations()))
				r.Post("/invitations", s.tenantScoped(s.handleInvite()))
				r.Delete("/invitations/{id}", s.tenantScoped(s.handleRevokeInvitation()))
				// The domain components' routes (internal/app lists them).
				for _, c := range s.components {
					c.Routes(tenantRouter{s: s, r: r})
				}
			}
			r.Group(tenantRoutes)
			if s.resolver.PathEnabled() {
				r.Route("/t/{tenant}", tenantRoutes)
			}
		})

		// Platform administration: platform admins only. Anyone else,
		// signed in or not, gets an unknown route's 404 for any path and
		// method under /api/admin, so the surface is not discoverable.
		r.Route("/admin", func(r chi.Router) {
			r.Use(s.platformAdminsOnly)
			r.Get("/tenants", s.handle(s.handleAdminTenants()))
			r.Get("/users", s.handle(s.handleAdminUsers()))
			r.Post("/users/{user_id}/disable", s.handle(s.handleAdminDisableUser()))
			r.Post("/users/{user_id}/enable", s.handle(s.handleAdminEnableUser()))
		})
	})
	return r
}
