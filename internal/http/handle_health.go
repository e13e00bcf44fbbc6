package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"net/http"
	"sync"
	"time"
)

// handleHealthz reports that the process is up; it checks nothing else.
func (s *Server) handleHealthz() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		return Respond(w, http.StatusOK, map[string]string{"status": "ok"})
	}
}

// handleReadyz probes every dependency at once, each bounded, and answers
// 503 when any fails, so a load balancer stops sending traffic in time.
func (s *Server) handleReadyz() Handler {
	type response struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx, cancel := context.WithTimeout(r.Context(), 1500*time.Millisecond)
		defer cancel()
		res := response{Status: "ok", Checks: make(map[string]string, len(s.checks)+1)}
		if s.draining.Load() {
			res.Status, res.Checks["server"] = "unavailable", "draining"
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range s.checks {
			wg.Go(func() {
				status := "ok"
				if err := c.Check(ctx); err != nil {
					status = "unavailable"
					s.log.WarnContext(ctx, "readiness check failed", "check", c.Name, "err", err)
				}
				mu.Lock()
				defer mu.Unlock()
				res.Checks[c.Name] = status
				if status != "ok" {
					res.Status = "unavailable"
				}
			})
		}
		wg.Wait()
		w.Header().Set("Cache-Control", "no-store")
		if res.Status != "ok" {
			return Respond(w, http.StatusServiceUnavailable, res)
		}
		return Respond(w, http.StatusOK, res)
	}
}

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns openapi.yaml, the API description the server serves.
func OpenAPI() []byte { return bytes.Clone(openAPI) }

// handleOpenAPI serves the API description.
func handleOpenAPI() Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/yaml")
		_, err := w.Write(openAPI)
		return err
	}
}
