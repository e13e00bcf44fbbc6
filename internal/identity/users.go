package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/identity/internal/identitydb"
	"github.com/tenantkit/tenantkit/internal/mail"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// SignUp creates a user with a password, and queues a mail with a link that
// verifies their address (when there is an Outbox). It returns validation.Errors for a
// malformed email, name or password (too long, invalid UTF-8, control
// characters), an error wrapping ErrWeakPassword with a user-facing reason
// for a password that is too short or too easy to guess, and ErrEmailTaken
// when the email is registered already, in any letter case; ErrBusy
// (wrapped) when no hashing slot frees up within Config.MaxHashWait. The
// user and their credential are created in one transaction.
func (s *Service) SignUp(ctx context.Context, email, password, name string) (User, error) {
	var problems validation.Errors
	email, problem := normalizeEmail(email)
	if problem != "" {
		problems.Add("email", problem)
	}
	name, problem = normalizeName(name)
	if problem != "" {
		problems.Add("name", problem)
	}
	if problem := s.policy.malformed(password); problem != "" {
		problems.Add("password", problem)
	}
	if err := problems.Err(); err != nil {
		return User{}, err
	}
	password = normalizePassword(password)
	if reason := s.policy.weakness(password, email, name); reason != "" {
		return User{}, ErrWeakPassword.WithDetail("The password is too weak: " + reason + ".")
	}

	// Hash before the transaction opens, so no connection is held while
	// the KDF runs or waits for a slot.
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return User{}, fmt.Errorf("sign up: %w", err)
	}
	var u User
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		q := identitydb.New(tx)
		row, err := q.CreateUser(ctx, identitydb.CreateUserParams{Email: email, Name: name})
		if err != nil {
			return fmt.Errorf("insert user: %w", mapDBError(err))
		}
		if err := q.CreatePasswordCredential(ctx, identitydb.CreatePasswordCredentialParams{UserID: row.ID, Hash: hash}); err != nil {
			return fmt.Errorf("store password: %w", mapDBError(err))
		}
		u = userFromRow(row)
		if s.cfg.Outbox == nil {
			return nil
		}
		return s.issueToken(ctx, tx, q, PurposeVerifyEmail, u.ID, hash,
			mail.Notice{Kind: mail.KindVerifyEmail, To: u.Email})
	})
	if err != nil {
		return User{}, fmt.Errorf("sign up: %w", err)
	}
	return u, nil
}

// maxLookupEmailBytes bounds the email Authenticate looks up. It is looser
// than sign-up's rules on purpose: tightening those must never lock out a
// user who signed up under the old ones.
const maxLookupEmailBytes = 1024

// Authenticate returns the user with this email and password. Every failure
// is ErrInvalidCredentials: unknown email, wrong password, disabled user.
// An unknown email still runs the KDF (against a dummy hash), so it takes
// about as long as a wrong password. Input that no account can match (an
// over-long password, invalid UTF-8) fails at once: that answer depends on
// the input alone, not on any account. A hash at outdated parameters is
// replaced on success.
//
// When every hashing slot stays taken for Config.MaxHashWait it returns
// ErrBusy (wrapped), for a known and an unknown email alike: both wait for
// a slot the same way.
func (s *Service) Authenticate(ctx context.Context, email, password string) (User, error) {
	email = strings.TrimSpace(email)
	if email == "" || len(email) > maxLookupEmailBytes || !utf8.ValidString(email) || strings.ContainsRune(email, 0) ||
		len(password) > s.cfg.MaxPasswordBytes || !utf8.ValidString(password) {
		return User{}, ErrInvalidCredentials
	}
	password = normalizePassword(password)

	row, err := identitydb.New(s.pool).GetPasswordLogin(ctx, email)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, _, err := s.hasher.verify(ctx, password, s.hasher.dummy); err != nil {
			return User{}, fmt.Errorf("authenticate: %w", err)
		}
		return User{}, ErrInvalidCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("authenticate: look up user: %w", err)
	}
	ok, rehash, err := s.hasher.verify(ctx, password, row.Hash)
	if errors.Is(err, errBadHash) {
		return User{}, fmt.Errorf("authenticate user %s: %w", row.ID, err)
	}
	if err != nil {
		// ErrBusy or the context's end: worded as on the unknown-email
		// path, so not even the error text tells the two apart.
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	if !ok {
		s.recordFailedLogin(ctx, row.ID)
		return User{}, ErrInvalidCredentials
	}
	// Disabled is checked after the KDF, so it costs the same as a wrong
	// password and a disabled account is not told apart.
	if row.DisabledAt != nil {
		return User{}, ErrInvalidCredentials
	}
	if rehash {
		s.rehash(ctx, row.ID, password, row.Hash)
	}
	return User{ID: row.ID, Email: row.Email, Name: row.Name, CreatedAt: row.CreatedAt, EmailVerified: row.EmailVerifiedAt != nil}, nil
}

// rehash upgrades a verified password's hash to the current parameters. It
// is best effort: the login has succeeded whatever happens here, and the
// next login tries again.
func (s *Service) rehash(ctx context.Context, userID uuid.UUID, password, oldHash string) {
	newHash, err := s.hasher.hash(ctx, password)
	if err == nil {
		_, err = identitydb.New(s.pool).RehashPassword(ctx, identitydb.RehashPasswordParams{
			NewHash: newHash, UserID: userID, OldHash: oldHash,
		})
	}
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "identity: upgrade password hash", "user_id", userID, "err", err)
	}
}

// User returns the user with id, disabled or not, or ErrUserNotFound.
//
// For a disabled user it also calls Config.OnDisable, which revokes their
// sessions: a user disabled behind DisableUser's back (by SQL, or by a
// command that reached another session store) loses every session the
// first time a request of theirs looks them up, so re-enabling them later
// brings none back. A failing hook is logged, not returned: the caller
// refuses a disabled user all the same, and the next lookup tries again.
// (A hook that looks the user up itself does not run again.)
func (s *Service) User(ctx context.Context, id uuid.UUID) (User, error) {
	row, err := identitydb.New(s.pool).GetUserByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %s: %w", id, err)
	}
	u := userFromRow(row)
	if u.Disabled {
		s.disabledSeen(ctx, id)
	}
	return u, nil
}

// disabledSeen runs Config.OnDisable for a disabled user a lookup found,
// unless the lookup is the hook's own; a failure is logged.
func (s *Service) disabledSeen(ctx context.Context, id uuid.UUID) {
	if ctx.Value(inOnDisable{}) != nil {
		return
	}
	if err := s.onDisable(ctx, id); err != nil {
		s.cfg.Logger.WarnContext(ctx, "identity: revoke the sessions of a disabled user", "user_id", id, "err", err)
	}
}

// inOnDisable marks the context of a Config.OnDisable call, so a hook that
// calls User (to mail the user, say) does not run itself again.
type inOnDisable struct{}

// onDisable runs Config.OnDisable, if set, for the user id.
func (s *Service) onDisable(ctx context.Context, id uuid.UUID) error {
	if s.cfg.OnDisable == nil {
		return nil
	}
	return s.cfg.OnDisable(context.WithValue(ctx, inOnDisable{}, true), id)
}

// UserByEmail returns the user with email (trimmed, any letter case), or
// ErrUserNotFound. It is for operators' tools, not for login (Authenticate).
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	email = strings.TrimSpace(email)
	if email == "" || len(email) > maxEmailBytes || !utf8.ValidString(email) || strings.ContainsRune(email, 0) {
		return User{}, ErrUserNotFound
	}
	row, err := identitydb.New(s.pool).GetUserByEmail(ctx, email)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("get user by email: %w", err)
	}
	return userFromRow(row), nil
}

// DisableUser stops the user from signing in and from counting as a member
// of any tenant (CurrentRoleQuery, UserTenants, Members), from the next call on,
// then calls Config.OnDisable (which revokes their sessions). It is
// idempotent: for a user disabled already it keeps the first disable time,
// still calls OnDisable and returns nil, so a failed call can simply be
// retried. ErrUserNotFound only when there is no such user. When OnDisable
// fails, the user stays disabled and the error, wrapping OnDisable's, says
// so. The first disable records EventAccountDisabled in the user's
// security log, in its transaction.
func (s *Service) DisableUser(ctx context.Context, id uuid.UUID) error {
	if _, err := s.setDisabled(ctx, id, true); errors.Is(err, ErrUserNotFound) {
		return ErrUserNotFound
	} else if err != nil {
		return fmt.Errorf("disable user %s: %w", id, err)
	}
	if err := s.onDisable(ctx, id); err != nil {
		return fmt.Errorf("user %s is disabled, but the OnDisable hook failed (retry DisableUser): %w", id, err)
	}
	return nil
}

func userFromRow(r identitydb.User) User {
	return User{ID: r.ID, Email: r.Email, Name: r.Name, CreatedAt: r.CreatedAt,
		Disabled: r.DisabledAt != nil, EmailVerified: r.EmailVerifiedAt != nil}
}
