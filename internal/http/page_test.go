package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/problem"
)

func TestParsePage(t *testing.T) {
	k := Key{CreatedAt: time.Date(2026, 12, 2, 10, 11, 12, 123456000, time.UTC), ID: uuid.New()}
	cursor := encodeCursor(k)
	tests := []struct {
		query    string
		want     Page
		wantCode string
	}{
		{"", Page{Limit: DefaultPageSize}, ""},
		{"?limit=1", Page{Limit: 1}, ""},
		{"?limit=500&cursor=" + cursor, Page{Limit: 500, After: k}, ""},
		{"?limit=0", Page{}, "invalid_limit"},
		{"?limit=501", Page{}, "invalid_limit"},
		{"?limit=ten", Page{}, "invalid_limit"},
		{"?cursor=abc", Page{}, "invalid_cursor"},
		{"?cursor=" + cursor + "A", Page{}, "invalid_cursor"},
		{"?cursor=" + cursor[:31] + "=", Page{}, "invalid_cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, err := ParsePage(httptest.NewRequest(http.MethodGet, "/x"+tt.query, nil))
			code := ""
			if pe, ok := errors.AsType[*problem.Error](err); ok {
				code = pe.Code
			} else if err != nil {
				t.Fatalf("ParsePage error %v is not a problem", err)
			}
			if code != tt.wantCode {
				t.Fatalf("ParsePage error = %v, want code %q", err, tt.wantCode)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPaginate(t *testing.T) {
	rows := []int{1, 2, 3}
	key := func(n int) Key { return Key{CreatedAt: time.UnixMicro(int64(n)).UTC()} }

	got, next := Paginate(Page{Limit: 3}, rows, key)
	if len(got) != 3 || next != "" {
		t.Errorf("last page: %v, %q; want all rows and no cursor", got, next)
	}
	got, next = Paginate(Page{Limit: 2}, rows, key)
	if len(got) != 2 || next == "" {
		t.Fatalf("first page: %v, %q; want two rows and a cursor", got, next)
	}
	if k, ok := decodeCursor(next); !ok || !k.CreatedAt.Equal(key(2).CreatedAt) {
		t.Errorf("cursor names %v, want the page's last row", k)
	}
}
