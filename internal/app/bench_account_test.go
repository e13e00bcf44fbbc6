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
// reports both medians: they should differ by no more than noise. Each
// iteration sends one request of each kind (b.N of each). Run it with a fixed count, as the README does:
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
	// Known and unknown alternate, which goes first alternating too, so
	// that drift (the heap, the CPU's clock, autovacuum) hits both alike.
	for _, rt := range routes {
		b.Run(rt.name, func(b *testing.B) {
			took := map[bool][]time.Duration{}
			i := 0
			for b.Loop() {
				for _, known := range []bool{i%2 == 0, i%2 != 0} {
					email := rt.email(known)
					start := time.Now()
					r := rt.send(email)
					took[known] = append(took[known], time.Since(start))
					if r.Status != http.StatusAccepted {
						b.Fatalf("%s: %d %s", email, r.Status, r.Body)
					}
				}
				i++
			}
			for _, known := range []bool{true, false} {
				d := took[known]
				slices.Sort(d)
				unit := "unknown-median-µs"
				if known {
					unit = "known-median-µs"
				}
				b.ReportMetric(float64(d[len(d)/2].Microseconds()), unit)
			}
		})
	}
}
