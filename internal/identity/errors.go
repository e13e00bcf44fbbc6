package identity

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/internal/validation"
)

// Errors returned by Service. Compare with errors.Is. Field problems with
// the input come back as validation.Errors instead.
var (
	// ErrEmailTaken: another user has this email address (compared
	// case-insensitively).
	ErrEmailTaken = errors.New("email address already registered")
	// ErrWeakPassword: the password is too short, too common or matches the
	// email address or name. It is wrapped with a reason that is safe to
	// show the user ("weak password: use at least 8 characters").
	ErrWeakPassword = errors.New("weak password")
	// ErrInvalidCredentials: the email is unknown, the password wrong or the
	// user disabled. Deliberately one error, so a login answer never tells
	// which.
	ErrInvalidCredentials = errors.New("invalid email or password")
	// ErrUserNotFound: no user has this id; from CreateTenant also when
	// the would-be owner is disabled.
	ErrUserNotFound = errors.New("user not found")
	// ErrSlugTaken: another tenant has this slug.
	ErrSlugTaken = errors.New("tenant slug already taken")
	// ErrTenantNotFound: no tenant has this id or slug.
	ErrTenantNotFound = errors.New("tenant not found")
	// ErrNotMember: the user has no membership in the tenant, is disabled,
	// or the transaction is not scoped to that tenant.
	ErrNotMember = errors.New("not a member of the tenant")
	// ErrAlreadyMember: AddMember for a user who already has a membership.
	ErrAlreadyMember = errors.New("already a member of the tenant")
	// ErrBusy: every password-hashing slot stayed taken for
	// Config.MaxHashWait, so SignUp or Authenticate gave up without running
	// the KDF. The HTTP layer answers 503 with Retry-After. Authenticate
	// returns it whether or not the account exists.
	ErrBusy = errors.New("too many password checks in flight; try again")
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
