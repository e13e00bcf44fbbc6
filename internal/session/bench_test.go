package session

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
)

// BenchmarkRequestAuth measures the request-auth path in steady state: a
// request with a valid session cookie through LoadAndSave to Current. It is
// one store read and no write (the touch is throttled).
func BenchmarkRequestAuth(b *testing.B) {
	stores := map[string]func(b *testing.B) Store{
		"postgres": func(b *testing.B) Store { return newPostgresStore(b) },
		"redis":    func(b *testing.B) Store { s, _ := newRedisStore(b); return s },
	}
	for _, name := range []string{"postgres", "redis"} {
		b.Run(name, func(b *testing.B) {
			st := &countingStore{Store: stores[name](b)}
			m := NewManager(st, Config{})
			var token string
			login := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := m.Login(r, uuid.New()); err != nil {
					b.Fatal(err)
				}
			}))
			w := httptest.NewRecorder()
			login.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/login", nil))
			for _, c := range w.Result().Cookies() {
				token = c.Value
			}

			h := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := m.Current(r); err != nil {
					b.Fatal(err)
				}
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.AddCookie(&http.Cookie{Name: m.CookieName(), Value: token})
			st.reset()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
			b.ReportMetric(float64(st.reads.Load())/float64(b.N), "reads/op")
			b.ReportMetric(float64(st.writes.Load())/float64(b.N), "writes/op")
		})
	}
}
