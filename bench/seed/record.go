package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/bench/seed/seeded"
)

// The session record format is internal/session's codec (codec.go), which
// is unexported: these types repeat its wire form. bench/sessionlookup
// checks a sample of seeded tokens through session.Manager before it
// measures anything, so a change to the codec that this file misses fails
// there instead of measuring lookups of records the server would refuse.
const codecVersion = 1

type wireRecord struct {
	Version  int          `json:"v"`
	Deadline time.Time    `json:"deadline"`
	Session  *wireSession `json:"session,omitempty"`
}

type wireSession struct {
	ID         uuid.UUID `json:"id"`
	UserID     uuid.UUID `json:"uid"`
	TenantID   uuid.UUID `json:"tid,omitzero"`
	CreatedAt  time.Time `json:"created"`
	LastSeenAt time.Time `json:"seen"`
	IP         string    `json:"ip,omitempty"`
	UserAgent  string    `json:"ua,omitempty"`
}

// userAgent is a typical browser's, so records are the size of real ones.
const userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"

// recordTemplate writes the records of one run. They differ only in the
// session's id, user, tenant and IP, so encoding/json encodes one record
// with a placeholder for each of those (exactly the bytes the codec's
// json.Marshal writes), and every record is that with the placeholders
// filled in: a twentieth of json.Marshal's cost, which was most of the
// seeder's CPU. The filled-in values need no JSON escaping.
type recordTemplate struct {
	parts  [][]byte // literal bytes; a value goes between each two
	values []int    // which value goes after parts[k]: see the placeholders
}

// placeholders, in the order of the values recordTemplate.append takes.
var placeholders = []string{
	"11111111-1111-4111-8111-111111111111", // session id
	"22222222-2222-4222-8222-222222222222", // user id
	"33333333-3333-4333-8333-333333333333", // tenant id
	"ip-placeholder",
}

// newRecordTemplate encodes the records of sessions created and last seen
// at now, ending at deadline.
func newRecordTemplate(now, deadline time.Time) (*recordTemplate, error) {
	ph := make([]uuid.UUID, 3)
	for k := range ph {
		ph[k] = uuid.MustParse(placeholders[k])
	}
	b, err := json.Marshal(wireRecord{
		Version:  codecVersion,
		Deadline: deadline,
		Session: &wireSession{
			ID: ph[0], UserID: ph[1], TenantID: ph[2],
			CreatedAt: now, LastSeenAt: now, IP: placeholders[3], UserAgent: userAgent,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("encode session record: %w", err)
	}
	type hole struct{ at, value int }
	holes := make([]hole, 0, len(placeholders))
	for v, p := range placeholders {
		if bytes.Count(b, []byte(p)) != 1 {
			return nil, fmt.Errorf("encode session record: placeholder %q not found once in %s", p, b)
		}
		holes = append(holes, hole{bytes.Index(b, []byte(p)), v})
	}
	slices.SortFunc(holes, func(x, y hole) int { return x.at - y.at })
	t := &recordTemplate{}
	last := 0
	for _, h := range holes {
		t.parts = append(t.parts, b[last:h.at])
		t.values = append(t.values, h.value)
		last = h.at + len(placeholders[h.value])
	}
	t.parts = append(t.parts, b[last:])
	return t, nil
}

// append appends the record of the session with these values to dst.
func (t *recordTemplate) append(dst []byte, id, userID, tenantID uuid.UUID, ip []byte) []byte {
	for k, v := range t.values {
		dst = append(dst, t.parts[k]...)
		switch v {
		case 0:
			dst = appendUUID(dst, id)
		case 1:
			dst = appendUUID(dst, userID)
		case 2:
			dst = appendUUID(dst, tenantID)
		case 3:
			dst = append(dst, ip...)
		}
	}
	return append(dst, t.parts[len(t.parts)-1]...)
}

// appendUUID appends u as uuid.UUID.MarshalText (and so JSON) writes it.
func appendUUID(dst []byte, u uuid.UUID) []byte {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return append(dst, b[:]...)
}

// seededSession is one seeded session.
type seededSession struct {
	hash   [sha256.Size]byte // what the stores key the record by
	userID uuid.UUID
	data   []byte
}

// tokenHash is what the stores key session i by: the SHA-256 of its token
// (internal/session: hashToken).
func tokenHash(seed string, i int) [sha256.Size]byte {
	var buf [64]byte
	return sha256.Sum256(seeded.AppendToken(buf[:0], seed, i))
}

// tenantOf is the tenant of user i: tenant i mod -tenants.
func (s *seeder) tenantOf(i int) uuid.UUID { return seeded.TenantID(s.cfg.seed, i%s.cfg.tenants) }

// session builds session i as Manager.Login and SwitchTenant would store
// it: user i's, created and last seen at s.now, ending s.deadline (the idle
// timeout comes before the lifetime), in its user's tenant.
func (s *seeder) session(i int) seededSession {
	seed := s.cfg.seed
	sess := seededSession{hash: tokenHash(seed, i), userID: seeded.UserID(seed, i)}
	var ip [16]byte
	ipv4 := strconv.AppendInt(append(ip[:0], "198.51.100."...), int64(i%254+1), 10) // TEST-NET-2
	sess.data = s.records.append(make([]byte, 0, s.recordLen), seeded.SessionID(seed, i), sess.userID, s.tenantOf(i), ipv4)
	return sess
}
