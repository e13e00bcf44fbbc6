package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// pageSize is the one page /api/projects serves: the first, of 20 rows.
const pageSize = 20

// The /api/me queries: the user, and the session's current tenant and role
// while the user is still a member; no row when the session is gone or the
// user disabled. The first also finds the live session (Postgres store);
// the second takes the user and tenant from the Redis record.
const (
	meBySessionSQL = `
SELECT u.id, u.email, u.name, u.email_verified_at IS NOT NULL, t.id, t.slug, t.name, m.role
FROM sessions s
JOIN users u ON u.id = s.user_id AND u.disabled_at IS NULL
LEFT JOIN memberships m ON m.user_id = u.id
     AND m.tenant_id = (convert_from(s.data, 'UTF8')::jsonb #>> '{session,tid}')::uuid
LEFT JOIN tenants t ON t.id = m.tenant_id
WHERE s.token_hash = $1 AND s.expires_at > now()`

	meByUserSQL = `
SELECT u.id, u.email, u.name, u.email_verified_at IS NOT NULL, t.id, t.slug, t.name, m.role
FROM users u
LEFT JOIN memberships m ON m.user_id = u.id AND m.tenant_id = $2
LEFT JOIN tenants t ON t.id = m.tenant_id
WHERE u.id = $1 AND u.disabled_at IS NULL`
)

// projectsSQL is the membership-checked SELECT of the tenant transaction: a
// row per project (one with NULL project columns when there is none) only
// when $2 is an enabled member of tenant $1, no row otherwise. RLS scopes
// all three tables to the signed tenant.
const projectsSQL = `
SELECT m.role, p.id, p.name, p.created_by, p.created_at, p.updated_at
FROM memberships m
JOIN users u ON u.id = m.user_id AND u.disabled_at IS NULL
LEFT JOIN LATERAL (
    SELECT id, name, created_by, created_at, updated_at
    FROM projects
    WHERE tenant_id = $1
    ORDER BY created_at, id
    LIMIT 21 -- pageSize + 1: one more tells whether another page follows
) p ON true
WHERE m.tenant_id = $1 AND m.user_id = $2
ORDER BY p.created_at, p.id`

type userJSON struct {
	ID    uuid.UUID `json:"id"`
	Email string    `json:"email"`
	Name  string    `json:"name"`
	// EmailVerified: the address is verified.
	EmailVerified bool `json:"email_verified"`
}

type tenantJSON struct {
	ID   uuid.UUID `json:"id"`
	Slug string    `json:"slug"`
	Name string    `json:"name"`
}

type projectJSON struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	CreatedBy uuid.UUID `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// handleMe answers GET /api/me: one query with sessions in Postgres, one
// Redis GET and one query with sessions in Redis.
func (s *server) handleMe(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	h, ok := tokenHash(r)
	if !ok {
		unauthenticated(w)
		return
	}
	var row pgx.Row
	if s.redis == nil {
		row = s.app.QueryRow(ctx, meBySessionSQL, h[:])
	} else {
		sess, err := s.redisSession(ctx, h)
		if err != nil {
			failed(w, r, err)
			return
		}
		row = s.app.QueryRow(ctx, meByUserSQL, sess.UserID, uuid.NullUUID{UUID: sess.TenantID, Valid: sess.TenantID != uuid.Nil})
	}
	var (
		res struct {
			User   userJSON    `json:"user"`
			Tenant *tenantJSON `json:"tenant"`
			Role   *string     `json:"role"`
		}
		tenantID         uuid.NullUUID
		slug, name, role *string
	)
	if err := row.Scan(&res.User.ID, &res.User.Email, &res.User.Name, &res.User.EmailVerified, &tenantID, &slug, &name, &role); err != nil {
		failed(w, r, err)
		return
	}
	if tenantID.Valid {
		res.Tenant, res.Role = &tenantJSON{ID: tenantID.UUID, Slug: *slug, Name: *name}, role
	}
	respond(w, res)
}

// handleProjects answers GET /api/projects with the first page of the
// session's current tenant: the session lookup, then one batch.
func (s *server) handleProjects(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	h, ok := tokenHash(r)
	if !ok {
		unauthenticated(w)
		return
	}
	sess, err := s.lookup(ctx, h)
	if err != nil {
		failed(w, r, err)
		return
	}
	if sess.TenantID == uuid.Nil {
		writeProblem(w, http.StatusBadRequest, "tenant_required", "Name a tenant with PUT /api/me/tenant.")
		return
	}
	list, member, err := s.listProjects(ctx, sess.TenantID, sess.UserID)
	switch {
	case err != nil:
		failed(w, r, err)
		return
	case !member:
		writeProblem(w, http.StatusNotFound, "tenant_not_found", "No such tenant.")
		return
	}
	res := struct {
		Projects   []projectJSON `json:"projects"`
		NextCursor string        `json:"next_cursor,omitempty"`
	}{Projects: list}
	if len(list) > pageSize {
		res.Projects = list[:pageSize]
		res.NextCursor = cursor(list[pageSize-1])
	}
	respond(w, res)
}

// listProjects runs the tenant transaction on a connection of the tenant
// login role, as one pipelined batch: BEGIN, the signed tenant settings
// (transaction-local), the membership-checked SELECT and COMMIT.
func (s *server) listProjects(ctx context.Context, tenantID, userID uuid.UUID) (list []projectJSON, member bool, err error) {
	conn, err := s.tenant.Acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	// A connection left inside a transaction (an error mid-batch) is
	// closed by the pool rather than reused.
	defer conn.Release()

	var b pgx.Batch
	b.Queue("BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE")
	b.Queue("SELECT set_config('app.tenant_id', $1, true), set_config('app.tenant_sig', $2, true)",
		tenantID.String(), s.sign(tenantID, conn.Conn().PgConn().PID()))
	b.Queue(projectsSQL, tenantID, userID)
	b.Queue("COMMIT")
	br := conn.SendBatch(ctx, &b)
	defer func() {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}()

	for range 2 {
		if _, err := br.Exec(); err != nil {
			return nil, false, err
		}
	}
	rows, err := br.Query()
	if err != nil {
		return nil, false, err
	}
	list = make([]projectJSON, 0, pageSize+1)
	for rows.Next() {
		var (
			role             string
			id, createdBy    uuid.NullUUID
			name             *string
			created, updated *time.Time
		)
		if err := rows.Scan(&role, &id, &name, &createdBy, &created, &updated); err != nil {
			rows.Close()
			return nil, false, err
		}
		member = true
		if id.Valid {
			list = append(list, projectJSON{ID: id.UUID, Name: *name, CreatedBy: createdBy.UUID, CreatedAt: *created, UpdatedAt: *updated})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if _, err := br.Exec(); err != nil { // COMMIT
		return nil, false, err
	}
	return list, member, nil
}

// sign is app.tenant_sig for tenantID on the connection with backend pid
// pid: hex(HMAC-SHA256(key, "<tenant id>:<pid>")), what the database's
// app.current_tenant_id() recomputes.
func (s *server) sign(tenantID uuid.UUID, pid uint32) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(tenantID.String() + ":" + strconv.FormatUint(uint64(pid), 10)))
	return hex.EncodeToString(m.Sum(nil))
}

// cursor is tenantkit's next_cursor for the page that ends with p.
func cursor(p projectJSON) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], uint64(p.CreatedAt.UnixMicro()))
	copy(b[8:], p.ID[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// errNoSession: the request's cookie names no live session.
var errNoSession = errors.New("no session")

// sessionRecord is the part of tenantkit's session record (JSON, in the
// sessions table or a Redis key) that authorizes a request.
type sessionRecord struct {
	Version  int       `json:"v"`
	Deadline time.Time `json:"deadline"`
	Session  *struct {
		UserID   uuid.UUID `json:"uid"`
		TenantID uuid.UUID `json:"tid"`
	} `json:"session"`
}

// cookieNames are tenantkit's session cookie over https and over http.
var cookieNames = []string{"__Host-tenantkit_session", "tenantkit_session"}

// tokenHash returns the SHA-256 of the request's session token, the only
// form a store keeps it in; false when the cookie is missing or is not
// shaped like a token (32 random bytes, base64url), which needs no lookup.
func tokenHash(r *http.Request) ([sha256.Size]byte, bool) {
	for _, name := range cookieNames {
		c, err := r.Cookie(name)
		if err != nil {
			continue
		}
		if b, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil || len(b) != 32 {
			return [sha256.Size]byte{}, false
		}
		return sha256.Sum256([]byte(c.Value)), true
	}
	return [sha256.Size]byte{}, false
}

// session is who a request acts as: the user and the session's current
// tenant (uuid.Nil for none).
type session struct{ UserID, TenantID uuid.UUID }

// lookup finds the live session whose token hashes to h: one query or one
// Redis GET.
func (s *server) lookup(ctx context.Context, h [sha256.Size]byte) (sess session, err error) {
	if s.redis != nil {
		return s.redisSession(ctx, h)
	}
	var data []byte
	err = s.app.QueryRow(ctx, "SELECT data FROM sessions WHERE token_hash = $1 AND expires_at > now()", h[:]).Scan(&data)
	if err != nil {
		return sess, err
	}
	return decodeSession(data)
}

func (s *server) redisSession(ctx context.Context, h [sha256.Size]byte) (session, error) {
	data, err := s.redis.Get(ctx, s.redisPrefix+"t:"+hex.EncodeToString(h[:])).Bytes()
	if err != nil {
		return session{}, err
	}
	return decodeSession(data)
}

// decodeSession reads the user and current tenant out of a record, which
// must be of the version tenantkit writes, hold a session and not be past
// its deadline.
func decodeSession(data []byte) (sess session, err error) {
	var rec sessionRecord
	if err := json.Unmarshal(data, &rec); err != nil || rec.Version != 1 || rec.Session == nil ||
		rec.Session.UserID == uuid.Nil || !rec.Deadline.After(time.Now()) {
		return sess, errNoSession
	}
	sess.UserID, sess.TenantID = rec.Session.UserID, rec.Session.TenantID
	return sess, nil
}

func respond(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

// failed answers err: 401 when the session is missing, expired or its user
// disabled (no row), else 500 and a log line.
func failed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errNoSession) || errors.Is(err, pgx.ErrNoRows) || errors.Is(err, redis.Nil) {
		unauthenticated(w)
		return
	}
	slog.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
	writeProblem(w, http.StatusInternalServerError, "internal_error", "Something went wrong on our side.")
}

func unauthenticated(w http.ResponseWriter) {
	writeProblem(w, http.StatusUnauthorized, "unauthenticated", "Sign in to continue.")
}

// writeProblem writes an RFC 9457 problem, shaped like tenantkit's.
func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Code   string `json:"code"`
	}{"about:blank", http.StatusText(status), status, detail, code})
}
