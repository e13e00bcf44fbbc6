package httpapi

import (
	"errors"
	"net/http"

	"github.com/tenantkit/tenantkit/internal/identity"
	"github.com/tenantkit/tenantkit/internal/session"
)

// Grant types of POST /api/auth/token (RFC 6749's names).
const (
	grantPassword     = "password"
	grantRefreshToken = "refresh_token"
)

var (
	errUnsupportedGrant = errorf(http.StatusBadRequest, "unsupported_grant_type",
		`grant_type must be "password" or "refresh_token".`)
	errGrantFields = errorf(http.StatusBadRequest, "invalid_request",
		`A "password" grant takes email and password (and optionally tenant); a "refresh_token" grant takes refresh_token alone.`)
)

// tokenResponse is RFC 6749's successful token response.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

func toTokenResponse(p session.TokenPair) tokenResponse {
	return tokenResponse{AccessToken: p.AccessToken, TokenType: "Bearer", ExpiresIn: int64(p.ExpiresIn.Seconds()), RefreshToken: p.RefreshToken}
}

// handleToken signs a first-party client in with a password, or trades a
// refresh token for a new pair (rotation). A password grant is a login in
// every respect: the same rate limits, failed-login accounting and
// verified-address rule. A refresh costs no password hash; a refresh
// token presented again after its grace window ends its whole sign-in,
// and that stays so although the request fails (401 token_reused).
func (s *Server) handleToken() Handler {
	type request struct {
		GrantType    string `json:"grant_type"`
		Email        string `json:"email"`
		Password     string `json:"password"`
		Tenant       string `json:"tenant"`
		RefreshToken string `json:"refresh_token"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		switch req.GrantType {
		case grantRefreshToken:
			if req.RefreshToken == "" || req.Email != "" || req.Password != "" || req.Tenant != "" {
				return errGrantFields
			}
			pair, err := s.sessions.Refresh(r.Context(), req.RefreshToken)
			if err != nil {
				return err
			}
			return Respond(w, http.StatusOK, toTokenResponse(pair))
		case grantPassword:
			if req.RefreshToken != "" {
				return errGrantFields
			}
		default:
			return errUnsupportedGrant
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
		if s.signupMode == SignupVerify && !u.EmailVerified {
			return identity.ErrEmailUnverified
		}
		meta := session.TokenMeta{IP: r.RemoteAddr, UserAgent: r.UserAgent()}
		if req.Tenant != "" {
			if meta.TenantID, err = s.identity.MemberTenant(r.Context(), u.ID, req.Tenant); err != nil {
				return err
			}
		}
		pair, err := s.sessions.IssueTokens(r.Context(), u.ID, meta)
		if err != nil {
			return err
		}
		// A disable that committed after the password check revoked the
		// user's sessions and tokens before this family existed: look
		// again now that it is stored, and take it back.
		if now, err := s.identity.User(r.Context(), u.ID); err != nil || now.Disabled {
			if revokeErr := s.sessions.RevokeToken(r.Context(), pair.RefreshToken); revokeErr != nil {
				return revokeErr
			}
			if err != nil && !errors.Is(err, identity.ErrUserNotFound) {
				return err
			}
			return identity.ErrInvalidCredentials
		}
		s.securityEvent(r, u.ID, identity.EventLogin)
		return Respond(w, http.StatusOK, toTokenResponse(pair))
	}
}

// handleRevokeToken ends the sign-in an access or refresh token belongs
// to, with all its tokens. As RFC 7009 asks, it answers 200 whether or not
// the token was valid, so it tells nothing about a token.
func (s *Server) handleRevokeToken() Handler {
	type request struct {
		Token string `json:"token"`
		// TokenTypeHint is RFC 7009's optional hint; the token's prefix
		// says its kind, so it is accepted and not needed.
		TokenTypeHint string `json:"token_type_hint"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req request
		if err := Decode(r, &req); err != nil {
			return err
		}
		if err := s.sessions.RevokeToken(r.Context(), req.Token); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
}
