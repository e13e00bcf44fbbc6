package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/auth"
	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/observe"
	"github.com/tenantkit/tenantkit/internal/session"
)

// SignupMode is how sign-up treats a new address.
type SignupMode string

const (
	// SignupVerify (the default): sign-up answers 202 alike for new and
	// taken addresses, and an account can be used once its address is
	// verified (the link logs the user in).
	SignupVerify SignupMode = "verify"
	// SignupOpen: sign-up answers 201 with a session, or 409 email_taken;
	// a verification mail is sent all the same.
	SignupOpen SignupMode = "open"
)

// DefaultReauthWindow is how recent a login must be for a sensitive change
// without the current password, when Config sets no ReauthWindow.
const DefaultReauthWindow = 10 * time.Minute

var errReauthRequired = errorf(http.StatusForbidden, "reauth_required",
	"Confirm it is you: send your current password, or sign in again.")

// acceptedResponse is the body of every 202 that must not tell whether an
// address has an account: the same bytes for all of them.
type acceptedResponse struct {
	Status string `json:"status"`
}

var accepted = acceptedResponse{Status: "accepted"}

// handleVerifyEmail spends a verification link. In verify mode it also
// starts a session for the user (the address is their proof of identity);
// in open mode the caller keeps whatever session they have.
func (s *Server) handleVerifyEmail() Handler {
	type request struct {
		Token string `json:"token"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		// Every session of the user ends (whoever opened the account
		// before the address was proven is out), except the caller's own
		// when it is the user's: they just proved the mailbox.
		revoke := func(ctx context.Context, userID uuid.UUID) error {
			if p, ok := auth.PrincipalFrom(ctx); ok && p.UserID == userID {
				return s.sessions.RevokeOthers(ctx, userID, p.SessionID)
			}
			return s.sessions.RevokeAll(ctx, userID)
		}
		u, err := s.identity.VerifyEmail(r.Context(), req.Token, revoke)
		if err != nil {
			return err
		}
		if s.signupMode == SignupVerify {
			if err := s.sessions.Login(r, u.ID); err != nil {
				return err
			}
			s.securityEvent(r, u.ID, identity.EventLogin)
		}
		return Respond(w, http.StatusOK, userResponse{User: toUserJSON(u)})
	}
}

// handleResendVerification queues a new verification mail; 202 whatever
// the address.
func (s *Server) handleResendVerification() Handler {
	return s.addressLookup(s.identity.RequestVerification)
}

// handlePasswordReset queues a reset mail; 202 whatever the address.
func (s *Server) handlePasswordReset() Handler {
	return s.addressLookup(s.identity.RequestPasswordReset)
}

// addressLookup is a route that takes {email} from anyone and answers 202
// with the same body whatever the address: queue does the work in the
// background. Past RateLimits.MailPerAddress requests for one address in
// an hour, from anywhere, it still answers 202 but queues nothing, so the
// route cannot be used to flood a mailbox.
func (s *Server) addressLookup(queue func(ctx context.Context, email string) error) Handler {
	type request struct {
		Email string `json:"email"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		if s.mailBudget(req.Email) {
			if err := queue(r.Context(), req.Email); err != nil {
				return err
			}
		}
		return Respond(w, http.StatusAccepted, accepted)
	}
}

// mailBudget takes one mail from the address's hourly budget
// (RateLimits.MailPerAddress, counted across clients) and reports whether
// there was one left. A failing counter counts as spent: fail closed.
func (s *Server) mailBudget(email string) bool {
	n, err := s.limits.addressMails.add(counterKey("mail", strings.ToLower(strings.TrimSpace(email))), 1)
	if err != nil || n > s.limits.mailPerAddress {
		s.metrics.RateLimited(observe.LimitMailPerAddress)
		return false
	}
	return true
}

// handlePasswordResetConfirm spends a reset link: a new password, every
// session of the user ended.
func (s *Server) handlePasswordResetConfirm() Handler {
	type request struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		if _, err := s.identity.ResetPassword(r.Context(), req.Token, req.Password, s.sessions.RevokeAll); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// handleChangePassword changes the caller's password, ends their other
// sessions and moves this one to a new token.
func (s *Server) handleChangePassword() Handler {
	type request struct {
		CurrentPassword *string `json:"current_password"`
		NewPassword     string  `json:"new_password"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		userID, sessionID, err := s.reauthenticate(w, r, req.CurrentPassword)
		if err != nil {
			return err
		}
		err = s.identity.ChangePassword(r.Context(), userID, req.NewPassword, func(ctx context.Context, userID uuid.UUID) error {
			return s.sessions.RevokeOthers(ctx, userID, sessionID)
		})
		if err != nil {
			return err
		}
		// A cookie moves to a new token; a token sign-in keeps its pair
		// (its other sign-ins and sessions ended above).
		if p, _ := auth.PrincipalFrom(r.Context()); p.Method == auth.MethodSession {
			if err := s.sessions.Renew(r.Context()); err != nil {
				return err
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// handleChangeEmail mails a confirmation link to the new address and a
// notice to the current one.
func (s *Server) handleChangeEmail() Handler {
	type request struct {
		Email    string  `json:"email"`
		Password *string `json:"password"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		userID, _, err := s.reauthenticate(w, r, req.Password)
		if err != nil {
			return err
		}
		// Each request mails two addresses, one of the caller's choosing:
		// the account's hourly budget bounds both.
		if n, err := s.limits.addressMails.add(counterKey("email-change", userID.String()), 1); err != nil || n > s.limits.mailPerAddress {
			s.metrics.RateLimited(observe.LimitMailPerAddress)
			w.Header().Set("Retry-After", strconv.Itoa(int(time.Hour.Seconds())))
			return errRateLimited
		}
		if err := s.identity.RequestEmailChange(r.Context(), userID, req.Email); err != nil {
			return err
		}
		return Respond(w, http.StatusAccepted, accepted)
	}
}

// handleConfirmEmail spends an email-change link of the caller's.
func (s *Server) handleConfirmEmail() Handler {
	type request struct {
		Token string `json:"token"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		p, err := principal(r)
		if err != nil {
			return err
		}
		u, err := s.identity.ConfirmEmailChange(r.Context(), p.UserID, req.Token)
		if err != nil {
			return err
		}
		return Respond(w, http.StatusOK, userResponse{User: toUserJSON(u)})
	}
}

// reauthenticate admits a sensitive change: password is the caller's
// current password, checked (its failures count as failed logins to the
// account), or nil, when the session's login must be within the re-auth
// window. It returns the user and session ids. A bearer-token caller
// always sends the password: an access token says nothing about how long
// ago its user signed in.
func (s *Server) reauthenticate(w http.ResponseWriter, r *http.Request, password *string) (uuid.UUID, uuid.UUID, error) {
	var sess session.Session
	if p, err := principal(r); err != nil {
		return uuid.Nil, uuid.Nil, err
	} else if p.Method == auth.MethodAccessToken {
		if password == nil {
			return uuid.Nil, uuid.Nil, errReauthRequired
		}
		sess = session.Session{ID: p.SessionID, UserID: p.UserID}
	} else if sess, err = s.sessions.Current(r); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if password == nil {
		if time.Since(sess.CreatedAt) > s.reauthWindow {
			return uuid.Nil, uuid.Nil, errReauthRequired
		}
		return sess.UserID, sess.ID, nil
	}
	// The password is guessed against the same budget as a login to the
	// account (RateLimits: per client, and the account-wide slowdown), so
	// a stolen session guesses no faster than anyone at the login form.
	u, err := s.identity.User(r.Context(), sess.UserID)
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	attempt, err := s.startLogin(w, r, u.Email)
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	err = s.identity.CheckPassword(r.Context(), sess.UserID, *password)
	settled := err
	if errors.Is(err, identity.ErrWrongPassword) {
		settled = identity.ErrInvalidCredentials // counted as a failed login
	}
	s.endLogin(r, attempt, settled)
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	return sess.UserID, sess.ID, nil
}
