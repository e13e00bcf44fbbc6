package mail

import (
	"strconv"
	"time"
)

// Kind names one kind of mail; each has a template pair in web/mail.
type Kind string

// The kinds of mail. Their values are stable: jobs store them.
const (
	// KindVerifyEmail asks a new user to confirm their address (link with token).
	KindVerifyEmail Kind = "verify_email"
	// KindSignupAttempt tells the owner of an address that someone tried to
	// sign up with it, and points to the password-reset page (no token).
	KindSignupAttempt Kind = "signup_attempt"
	// KindPasswordReset carries a password-reset link (link with token).
	KindPasswordReset Kind = "password_reset"
	// KindPasswordChanged is the notice after a password change or reset.
	KindPasswordChanged Kind = "password_changed"
	// KindEmailChange asks the NEW address to confirm an email change (link with token).
	KindEmailChange Kind = "email_change"
	// KindEmailChangeNotice tells the OLD address that a change to
	// Notice.NewEmail was asked for.
	KindEmailChangeNotice Kind = "email_change_notice"
	// KindInvitation invites an address to join a tenant with a role (link
	// with token); Notice.Tenant, Inviter and Role say which, who and how.
	KindInvitation Kind = "invitation"
)

// Kinds lists every kind, in a stable order.
func Kinds() []Kind {
	return []Kind{
		KindVerifyEmail, KindSignupAttempt, KindPasswordReset,
		KindPasswordChanged, KindEmailChange, KindEmailChangeNotice,
		KindInvitation,
	}
}

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool {
	_, ok := k.spec()
	return ok
}

// NeedsToken reports whether mails of kind k carry a token in their link
// (and so Notice.Token is required for them, and refused for the others).
func (k Kind) NeedsToken() bool {
	sp, _ := k.spec()
	return sp.token
}

// spec is what the renderer needs to know about a kind.
type spec struct {
	// path is the page the mail's link opens, relative to the base URL.
	path string
	// token: the link carries ?token=; a Notice must have one.
	token bool
	// expires is the token's lifetime as the mail states it; it must match
	// what internal/identity stores. Zero for kinds without a token.
	expires time.Duration
	// newEmail: the mail names the new address (Notice.NewEmail).
	newEmail bool
	// invitation: the mail names a tenant, the inviter and a role
	// (Notice.Tenant, Inviter, Role).
	invitation bool
}

// Paths of the pages the links open; the server routes must match.
const (
	pathVerifyEmail   = "verify-email"
	pathResetPassword = "reset-password"
	pathConfirmEmail  = "confirm-email"
	pathInvitation    = "invitation"
)

// spec returns k's spec, and false for an unknown kind. A switch rather than
// a package-level map: nothing here can be changed at run time.
func (k Kind) spec() (spec, bool) {
	switch k {
	case KindVerifyEmail:
		return spec{path: pathVerifyEmail, token: true, expires: 24 * time.Hour}, true
	case KindSignupAttempt:
		return spec{path: pathResetPassword}, true
	case KindPasswordReset:
		return spec{path: pathResetPassword, token: true, expires: 30 * time.Minute}, true
	case KindPasswordChanged:
		return spec{path: pathResetPassword}, true
	case KindEmailChange:
		return spec{path: pathConfirmEmail, token: true, expires: 24 * time.Hour, newEmail: true}, true
	case KindEmailChangeNotice:
		return spec{path: pathResetPassword, newEmail: true}, true
	case KindInvitation:
		return spec{path: pathInvitation, token: true, expires: 7 * 24 * time.Hour, invitation: true}, true
	}
	return spec{}, false
}

// humanDuration writes d for people: "7 days", "24 hours", "30 minutes",
// "1 hour". Lifetimes are whole days, hours or minutes; anything finer is
// rounded down to minutes, which only ever understates how long a link
// works. Days only from two on: a day-long link reads "24 hours", which
// says plainly that it is not "until tomorrow".
func humanDuration(d time.Duration) string {
	const day = 24 * time.Hour
	n, unit := int64(d/time.Minute), "minute"
	switch {
	case d >= 2*day && d%day == 0:
		n, unit = int64(d/day), "day"
	case d >= time.Hour && d%time.Hour == 0:
		n, unit = int64(d/time.Hour), "hour"
	}
	if n != 1 {
		unit += "s"
	}
	return strconv.FormatInt(n, 10) + " " + unit
}
