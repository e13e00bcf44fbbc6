package observe

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// scrape returns what AdminHandler serves at /metrics for g.
func scrape(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	w := httptest.NewRecorder()
	AdminHandler(g).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", w.Code, w.Body)
	}
	return w.Body.String()
}

// wantLines fails unless every line of want is a line of the scrape.
func wantLines(t *testing.T, scraped string, want ...string) {
	t.Helper()
	lines := map[string]bool{}
	for l := range strings.Lines(scraped) {
		lines[strings.TrimSuffix(l, "\n")] = true
	}
	for _, w := range want {
		if !lines[w] {
			t.Errorf("the scrape has no line %q", w)
		}
	}
}

func TestAdminHandler(t *testing.T) {
	h := AdminHandler(NewRegistry())
	tests := []struct {
		method, path string
		status       int
		body         string // a part of the body
	}{
		{"GET", "/metrics", http.StatusOK, "go_goroutines "},
		{"GET", "/debug/pprof/", http.StatusOK, "goroutine"},
		{"GET", "/debug/pprof/cmdline", http.StatusOK, ""},
		{"GET", "/debug/pprof/goroutine?debug=1", http.StatusOK, "goroutine profile"},
		{"GET", "/debug/pprof/heap", http.StatusOK, ""},
		{"GET", "/debug/pprof/symbol", http.StatusOK, "num_symbols"},
		{"POST", "/metrics", http.StatusMethodNotAllowed, ""},
		{"GET", "/", http.StatusNotFound, ""},
		{"GET", "/api/me", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
		body, _ := io.ReadAll(w.Body)
		if w.Code != tt.status || !strings.Contains(string(body), tt.body) {
			t.Errorf("%s %s: %d, body %.80q; want %d with %q", tt.method, tt.path, w.Code, body, tt.status, tt.body)
		}
	}
}
