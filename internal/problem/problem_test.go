package problem_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/tenantkit/tenantkit/internal/problem"
)

func TestIsThroughWrapsAndDetails(t *testing.T) {
	errA := problem.New(http.StatusNotFound, "not_found", "No such thing.")
	errB := problem.New(http.StatusNotFound, "not_found", "No such thing.")
	detailed := errA.WithDetail("This one, exactly.").WithDetail("Twice.")

	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"itself", errA, errA, true},
		{"wrapped", fmt.Errorf("get: %w", errA), errA, true},
		{"detailed", detailed, errA, true},
		{"detailed and wrapped", fmt.Errorf("get: %w", detailed), errA, true},
		{"another sentinel with the same fields", errA, errB, false},
		{"detailed is not another sentinel", detailed, errB, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Errorf("errors.Is = %v, want %v", got, tt.want)
			}
		})
	}
	if detailed.Detail != "Twice." || detailed.Status != http.StatusNotFound || detailed.Code != "not_found" {
		t.Errorf("WithDetail = %+v", detailed)
	}
}
