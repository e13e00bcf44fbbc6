package app_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/app"
	"github.com/tenantkit/tenantkit/internal/apptest"
	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/identity"
)

// BenchmarkAddressOracle times the routes that must not tell whether an
// address has an account, for a taken (known) and a new (unknown)
// address, through the HTTP stack with production password hashing, and
// reports each one's median: the two medians of a route should differ by
// no more than noise. Run it with a fixed count, as the README does:
//
//	go test ./internal/app -run '^$' -bench AddressOracle -benchtime 200x
func BenchmarkAddressOracle(b *testing.B) {
	e := apptest.New(b, apptest.Options{Configure: func(c *app.Config) {
		c.Argon2 = identity.Argon2Params{} // the production cost
		c.RateLimits = httpapi.RateLimits{AuthPerIP: 1 << 30, MailPerAddress: 1 << 30}
	}})
	owner := e.Signup("Owner")
	e.Rebuild(func(c *app.Config) {
		c.Argon2 = identity.Argon2Params{}
		c.RateLimits = httpapi.RateLimits{AuthPerIP: 1 << 30, MailPerAddress: 1 << 30}
		c.SignupMode = httpapi.SignupVerify
	})
	c := e.Client()
	fresh := 0
	newAddress := func() string { fresh++; return fmt.Sprintf("new-%d-%d@example.com", time.Now().UnixNano(), fresh) }

	routes := []struct {
		name  string
		email func(known bool) string
		send  func(email string) apptest.Response
	}{
		{"signup", func(known bool) string {
			if known {
				return owner.Email
			}
			return newAddress()
		}, func(email string) apptest.Response {
			return c.Do("POST", "/api/auth/signup", map[string]string{"email": email, "password": "a long enough passphrase", "name": "Someone"})
		}},
		{"password-reset", func(known bool) string {
			if known {
				return owner.Email
			}
			return "nobody@example.com"
		}, func(email string) apptest.Response {
			return c.Do("POST", "/api/auth/password-reset", map[string]string{"email": email})
		}},
	}
	for _, rt := range routes {
		for _, known := range []bool{true, false} {
			name := rt.name + "/unknown"
			if known {
				name = rt.name + "/known"
			}
			b.Run(name, func(b *testing.B) {
				took := make([]time.Duration, 0, b.N)
				for b.Loop() {
					email := rt.email(known)
					start := time.Now()
					r := rt.send(email)
					took = append(took, time.Since(start))
					if r.Status != http.StatusAccepted {
						b.Fatalf("%s: %d %s", email, r.Status, r.Body)
					}
				}
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2].Microseconds()), "median-µs")
			})
		}
	}
}
