package identity

import (
	"errors"
	"net/http"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/internal/problem"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// Errors returned by Service, each with the problem response it is answered
// with (see package problem). Compare with errors.Is. Field problems with the
// input come back as validation.Errors instead.
var (
	// ErrEmailTaken: another user has this email address (compared
	// case-insensitively).
	ErrEmailTaken = problem.New(http.StatusConflict, "email_taken", "An account with this email already exists.")
	// ErrWeakPassword: the password is too short, too common or matches the
	// email address or name. SignUp returns a copy whose Detail says which,
	// in words safe to show the user (WithDetail).
	ErrWeakPassword = problem.New(http.StatusUnprocessableEntity, "weak_password", "The password is too weak.")
	// ErrInvalidCredentials: the email is unknown, the password wrong or the
	// user disabled. Deliberately one error, so a login answer never tells
	// which.
	ErrInvalidCredentials = problem.New(http.StatusUnauthorized, "invalid_credentials", "The email or password is incorrect.")
	// ErrUserNotFound: no user has this id; from CreateTenant also when
	// the would-be owner is disabled. Callers hold a session for that user,
	// so it is answered like a request without one.
	ErrUserNotFound = problem.New(http.StatusUnauthorized, "unauthenticated", "Sign in to continue.")
	// ErrSlugTaken: another tenant has this slug.
	ErrSlugTaken = problem.New(http.StatusConflict, "slug_taken", "This tenant slug is taken.")
	// ErrTenantNotFound: no tenant has this id or slug.
	ErrTenantNotFound = problem.New(http.StatusNotFound, "tenant_not_found", "No such tenant.")
	// ErrNotMember: the user has no membership in the tenant, is disabled,
	// or the transaction is not scoped to that tenant. Answered exactly
	// like a tenant that does not exist.
	ErrNotMember = problem.New(http.StatusNotFound, "tenant_not_found", "No such tenant.")
	// ErrAlreadyMember: AddMember for a user who already has a membership,
	// or an invitation to a member's address.
	ErrAlreadyMember = problem.New(http.StatusConflict, "already_member", "This user is already a member of the tenant.")
	// ErrTokenInvalid: a link's token is unknown, used, expired, for
	// another purpose, or for an address the user no longer has.
	ErrTokenInvalid = problem.New(http.StatusBadRequest, "invalid_token", "This link is invalid or has expired.")
	// ErrEmailUnverified: the user must verify their address first (to
	// sign in when sign-up requires it, to create tenants unless
	// Config.AllowUnverifiedEmail).
	ErrEmailUnverified = problem.New(http.StatusForbidden, "email_unverified", "Verify your email address first: follow the link in the mail we sent.")
	// ErrWrongPassword: the current password given to confirm a sensitive
	// change is not the user's.
	ErrWrongPassword = problem.New(http.StatusForbidden, "wrong_password", "The current password is incorrect.")
	// ErrSameEmail: an email change to the address the user has already.
	ErrSameEmail = problem.New(http.StatusUnprocessableEntity, "same_email", "This is already your email address.")
	// ErrBusy: every password-hashing slot stayed taken for
	// Config.MaxHashWait, so SignUp or Authenticate gave up without running
	// the KDF. Answered 503 with Retry-After. Authenticate returns it
	// whether or not the account exists.
	ErrBusy = problem.New(http.StatusServiceUnavailable, "unavailable", "The service is temporarily unavailable; try again shortly.")
)

// SQLSTATE codes mapped below (PostgreSQL appendix A).
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeCheckViolation      = "23514"
	codeNotNullViolation    = "23502"
	codeStringTooLong       = "22001"
	codeInvalidText         = "22P02"
	codeUntranslatable      = "22P05"
	codeNotInRepertoire     = "22021" // invalid UTF-8, NUL bytes
)

// constraintField names the input field a constraint guards, for the check
// constraints that back the validation in validate.go.
var constraintField = map[string]string{
	"users_email_check":      "email",
	"users_name_check":       "name",
	"tenants_slug_check":     "slug",
	"tenants_name_check":     "name",
	"memberships_role_check": "role",
}

// mapDBError turns a driver error about identity's tables into a domain
// error: unique violations into the "taken" sentinels, foreign-key
// violations into "not found", and rejected values into field problems. Any
// other error is returned unchanged. Validation in Go runs first, so the
// value cases are a backstop that keeps driver text out of responses.
func mapDBError(err error) error {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	if !ok {
		return err
	}
	switch pgErr.Code {
	case codeUniqueViolation:
		switch pgErr.ConstraintName {
		case "users_email_key":
			return ErrEmailTaken
		case "tenants_slug_key":
			return ErrSlugTaken
		case "memberships_pkey":
			return ErrAlreadyMember
		}
	case codeForeignKeyViolation:
		switch pgErr.ConstraintName {
		case "memberships_tenant_id_fkey":
			return ErrTenantNotFound
		case "memberships_user_id_fkey", "password_credentials_user_id_fkey":
			return ErrUserNotFound
		}
	case codeCheckViolation, codeNotNullViolation:
		field := constraintField[pgErr.ConstraintName]
		if field == "" {
			field = "input"
		}
		return validation.Errors{{Field: field, Detail: "is invalid"}}
	case codeStringTooLong, codeInvalidText, codeUntranslatable, codeNotInRepertoire:
		return validation.Errors{{Field: "input", Detail: "contains characters that cannot be stored"}}
	}
	return err
}
