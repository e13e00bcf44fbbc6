package httpapi

import (
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Page is a request for one page of a list ordered by (created_at, id):
// at most Limit rows after the row After names (the zero Key: from the
// start).
type Page struct {
	Limit int
	After Key
}

// Key is the position of a row in a (created_at, id) ordered list.
type Key struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// DefaultPageSize is the page size when a request gives no limit.
const DefaultPageSize = 50

// MaxPageSize is the largest page a request may ask for.
const MaxPageSize = 500

// ParsePage reads ?limit=1..MaxPageSize (default DefaultPageSize) and
// ?cursor= (a next_cursor from the previous page) from r.
func ParsePage(r *http.Request) (Page, error) {
	q := r.URL.Query()
	p := Page{Limit: DefaultPageSize}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			return Page{}, errorf(http.StatusBadRequest, "invalid_limit", "limit must be a whole number from 1 to "+strconv.Itoa(MaxPageSize)+".")
		}
		p.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		k, ok := decodeCursor(v)
		if !ok {
			return Page{}, errorf(http.StatusBadRequest, "invalid_cursor", "cursor must be a next_cursor value from a previous page.")
		}
		p.After = k
	}
	return p, nil
}

// Fetch is how many rows to read for the page: one more than Limit, which
// tells Paginate whether another page follows.
func (p Page) Fetch() int { return p.Limit + 1 }

// Paginate trims rows, read with p.Fetch(), to the page and returns the
// next_cursor: the position of the page's last row when another page
// follows, and "" when this is the last. key gives a row's position.
func Paginate[T any](p Page, rows []T, key func(T) Key) ([]T, string) {
	if len(rows) <= p.Limit {
		return rows, ""
	}
	rows = rows[:p.Limit]
	return rows, encodeCursor(key(rows[len(rows)-1]))
}

// A cursor is the 8-byte microsecond timestamp and the 16-byte id of a row,
// base64url without padding: opaque to clients, and 32 characters long.
func encodeCursor(k Key) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], uint64(k.CreatedAt.UnixMicro()))
	copy(b[8:], k.ID[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeCursor(s string) (Key, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 24 {
		return Key{}, false
	}
	id, err := uuid.FromBytes(b[8:])
	if err != nil {
		return Key{}, false
	}
	return Key{CreatedAt: time.UnixMicro(int64(binary.BigEndian.Uint64(b[:8]))).UTC(), ID: id}, true
}
