package httpapi

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/auth"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/session"
)

type userJSON struct {
	ID            uuid.UUID `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	EmailVerified bool      `json:"email_verified"`
}

func toUserJSON(u identity.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, EmailVerified: u.EmailVerified}
}

type userResponse struct {
	User userJSON `json:"user"`
}

// handleSignup creates an account. In verify mode it answers 202 with the
// same body whether or not the address was taken (Register), and the
// account is used once its address is verified; in open mode it signs the
// new account in (201), or answers 409 email_taken.
func (s *Server) handleSignup() Handler {
	type request struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Name     string `json:"name"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		if s.signupMode == SignupVerify {
			// Every sign-up mails the address: past its hourly budget
			// (RateLimits.MailPerAddress) the answer is the same, and
			// nothing is created or sent.
			if !s.mailBudget(req.Email) {
				return Respond(w, http.StatusAccepted, accepted)
			}
			if err := s.identity.Register(r.Context(), req.Email, req.Password, req.Name); err != nil {
				return err
			}
			return Respond(w, http.StatusAccepted, accepted)
		}
		u, err := s.identity.SignUp(r.Context(), req.Email, req.Password, req.Name)
		if err != nil {
			return err
		}
		if err := s.sessions.Login(r, u.ID); err != nil {
			return err
		}
		return Respond(w, http.StatusCreated, userResponse{User: toUserJSON(u)})
	}
}

// handleLogin checks a password and starts a new session (a new token, so a
// token planted before login is worthless after it). Every failure answers
// the same: unknown email, wrong password and disabled user alike. The
// limits (see RateLimits) are taken before the password is checked and
// settled right after.
func (s *Server) handleLogin() Handler {
	type request struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		attempt, err := s.startLogin(w, r, req.Email)
		if err != nil {
			return err
		}
		u, err := s.identity.Authenticate(r.Context(), req.Email, req.Password)
		s.endLogin(r, attempt, err)
		if err != nil {
			return err
		}
		// In verify mode an account is used only once its address is
		// verified; told only to someone who knows the password.
		if s.signupMode == SignupVerify && !u.EmailVerified {
			return identity.ErrEmailUnverified
		}
		if err := s.sessions.Login(r, u.ID); err != nil {
			return err
		}
		// A disable that committed after the password check revoked the
		// user's sessions before this one existed: look again now that the
		// session is stored, and take it back.
		if now, err := s.identity.User(r.Context(), u.ID); err != nil || now.Disabled {
			if logoutErr := s.sessions.Logout(r.Context()); logoutErr != nil {
				return logoutErr
			}
			if err != nil {
				return err
			}
			return identity.ErrInvalidCredentials
		}
		s.securityEvent(r, u.ID, identity.EventLogin)
		return Respond(w, http.StatusOK, userResponse{User: toUserJSON(u)})
	}
}

// handleLogout deletes the server-side session and clears the cookie.
func (s *Server) handleLogout() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, signedIn := auth.PrincipalFrom(r.Context())
		if signedIn && p.Method == auth.MethodAccessToken {
			// A token client's sign-out ends its token family.
			if err := s.sessions.Revoke(r.Context(), p.UserID, p.SessionID); err != nil && !errors.Is(err, session.ErrNotFound) {
				return err
			}
		} else if err := s.sessions.Logout(r.Context()); err != nil {
			return err
		}
		if signedIn && p.Method != auth.MethodAPIKey {
			s.securityEvent(r, p.UserID, identity.EventLogout)
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
