package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/dbtest"
)

// TestOperationsSettings: ADMIN_ADDR and ACCESS_LOG_SAMPLE are read, and a
// bad value is refused by name.
func TestOperationsSettings(t *testing.T) {
	c, err := loadConfig(envFrom(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if c.AdminAddr != "" || c.AccessLogSample != 1 {
		t.Errorf("defaults: AdminAddr %q, AccessLogSample %v; want none and 1", c.AdminAddr, c.AccessLogSample)
	}
	c, err = loadConfig(envFrom(map[string]string{"ADMIN_ADDR": "127.0.0.1:9090", "ACCESS_LOG_SAMPLE": "0.25"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.AdminAddr != "127.0.0.1:9090" || c.AccessLogSample != 0.25 || appConfig(c, nil).AccessLogDrop != 0.75 {
		t.Errorf("AdminAddr %q, AccessLogSample %v; want 127.0.0.1:9090 and 0.25", c.AdminAddr, c.AccessLogSample)
	}
	for _, ok := range []string{"0", "1", "0.001", ":9090", "[::1]:9090", "localhost:0"} {
		key := "ACCESS_LOG_SAMPLE"
		if strings.Contains(ok, ":") {
			key = "ADMIN_ADDR"
		}
		if _, err := loadConfig(envFrom(map[string]string{key: ok})); err != nil {
			t.Errorf("%s=%s: %v", key, ok, err)
		}
	}
	tests := []struct{ key, value string }{
		{"ADMIN_ADDR", "9090"},
		{"ADMIN_ADDR", "127.0.0.1"},
		{"ADMIN_ADDR", "127.0.0.1:metrics"},
		{"ADMIN_ADDR", "127.0.0.1:70000"},
		{"ACCESS_LOG_SAMPLE", "1.5"},
		{"ACCESS_LOG_SAMPLE", "-0.1"},
		{"ACCESS_LOG_SAMPLE", "10%"},
		{"ACCESS_LOG_SAMPLE", "NaN"},
	}
	for _, tt := range tests {
		_, err := loadConfig(envFrom(map[string]string{tt.key: tt.value}))
		if err == nil || !strings.Contains(err.Error(), tt.key+": ") {
			t.Errorf("%s=%s: err = %v, want it to name %s", tt.key, tt.value, err, tt.key)
		}
	}
}

// TestAdminListener: with ADMIN_ADDR, serve answers /metrics (its own
// metrics, both pools', Redis's with the Redis store) and pprof there,
// and neither on the public listener. The log reaches stderr by the time
// serve returns, though it is buffered.
func TestAdminListener(t *testing.T) {
	for _, store := range []string{"postgres", "redis"} {
		t.Run(store, func(t *testing.T) {
			d := dbtest.New(t)
			admin := "http://" + freeAddr(t)
			env := withTenant(d, map[string]string{"APP_DATABASE_URL": d.AppURL, "SESSION_STORE": store, "REDIS_URL": redisURL(),
				"ADMIN_ADDR": strings.TrimPrefix(admin, "http://")})
			var stderr lockedBuffer
			url, stop := startServerLogging(t, env, &stderr)
			get := func(url string) (int, string) {
				t.Helper()
				res, err := http.Get(url)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}
			for _, path := range []string{"/metrics", "/debug/pprof/"} {
				if status, _ := get(url + path); status != http.StatusNotFound {
					t.Errorf("public %s: %d, want 404", path, status)
				}
				if status, _ := get(admin + path); status != http.StatusOK {
					t.Errorf("admin %s: %d, want 200", path, status)
				}
			}
			_, metrics := get(admin + "/metrics")
			want := []string{
				`tenantkit_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 2`,
				`tenantkit_db_pool_max_conns{pool="app"} 20`,
				`tenantkit_db_pool_max_conns{pool="tenant"} 20`,
				`tenantkit_session_lookups_total{result="found"} 0`,
				"go_goroutines ",
			}
			if store == "redis" {
				want = append(want, "tenantkit_redis_pool_total_conns ")
			}
			for _, w := range want {
				if !strings.Contains(metrics, w) {
					t.Errorf("admin /metrics has no %q", w)
				}
			}
			if err := stop(); err != nil {
				t.Fatalf("serve: %v", err)
			}
			logs := stderr.String()
			for _, w := range []string{`"msg":"admin listener: /metrics, /debug/pprof/"`, `"msg":"request","method":"GET","path":"/metrics"`, `"msg":"stopped"`} {
				if !strings.Contains(logs, w) {
					t.Errorf("stderr has no %s:\n%s", w, logs)
				}
			}
		})
	}
}
