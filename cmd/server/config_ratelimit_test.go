package main

import (
	"strings"
	"testing"
	"time"
)

// TestLoginLimitSettings: the login slow-down's settings are read, and a
// maximum wait long enough to turn the slow-down into a lockout (past 10s,
// or half the request timeout) is refused, by name.
func TestLoginLimitSettings(t *testing.T) {
	c, err := loadConfig(envFrom(map[string]string{"RATE_LIMIT_LOGIN_SLOW_AFTER": "25", "RATE_LIMIT_LOGIN_MAX_DELAY": "2s"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.LoginSlowAfter != 25 || c.LoginMaxDelay != 2*time.Second {
		t.Errorf("LoginSlowAfter, LoginMaxDelay = %d, %v; want 25, 2s", c.LoginSlowAfter, c.LoginMaxDelay)
	}

	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"RATE_LIMIT_LOGIN_SLOW_AFTER": "0"}, "RATE_LIMIT_LOGIN_SLOW_AFTER"},
		{map[string]string{"RATE_LIMIT_LOGIN_MAX_DELAY": "0s"}, "RATE_LIMIT_LOGIN_MAX_DELAY"},
		{map[string]string{"RATE_LIMIT_LOGIN_MAX_DELAY": "11s", "REQUEST_TIMEOUT": "60s"}, "RATE_LIMIT_LOGIN_MAX_DELAY"},
		{map[string]string{"RATE_LIMIT_LOGIN_MAX_DELAY": "8s"}, "RATE_LIMIT_LOGIN_MAX_DELAY"}, // REQUEST_TIMEOUT is 15s
	}
	for _, tt := range tests {
		if _, err := loadConfig(envFrom(tt.env)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("env %v: err = %v, want it to name %s", tt.env, err, tt.want)
		}
	}
}
