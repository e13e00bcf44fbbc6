package session

import (
	"testing"
	"time"
)

// Tests never race the clock. What time decides is either far from the
// present (an expiry an hour ahead or in the past), on a fake clock (the
// Manager's, see newApp), or waited for with the bounds below. A passing
// run never waits out a bound, so the bounds only have to outlast the
// slowest CI machine (go test -race on a loaded 2-core runner).

// waitBound is how long a test waits for something that should happen
// promptly (a background job, a statement blocking on a lock, a store
// agreeing that an expiry has passed) before it fails.
const waitBound = 30 * time.Second

// eventually calls cond until it reports true, and reports false if it has
// not within waitBound.
func eventually(cond func() bool) bool {
	deadline := time.Now().Add(waitBound)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// A store judges expiry by its own clock (Redis's PXAT, Postgres's now()),
// which no test can fake; a test that watches a record expire in the store
// commits it shortTTL ahead and waits that out.
const (
	// shortTTL is short enough to keep the suite quick and long enough that
	// checking the record while it is live takes a small part of it.
	shortTTL = time.Second
	// clockSkew is how far the store's clock may run ahead of the test's.
	clockSkew = 200 * time.Millisecond
)

// certainlyLive reports whether store calls that have returned by now ran
// while a record expiring at expiry was live by the store's clock too.
// Checks that such a record is live are asserted only then: on a machine so
// loaded that they took most of shortTTL, the test logs that it skipped
// them instead of failing.
func certainlyLive(t *testing.T, expiry time.Time) bool {
	t.Helper()
	if time.Until(expiry) > clockSkew {
		return true
	}
	t.Logf("skipping the checks of a live record: they ended %v before its expiry, within the allowed clock skew of %v",
		time.Until(expiry), clockSkew)
	return false
}

// afterExpiry waits until expiry has passed by the test's clock, then until
// cond reports true (the store's clock may lag), and reports false if it
// has not within waitBound. Asserting only after expiry has certainly
// passed, and polling rather than sleeping a guessed margin, is what keeps
// expiry tests from flaking; a store that does not enforce expiry still
// fails them.
func afterExpiry(expiry time.Time, cond func() bool) bool {
	time.Sleep(time.Until(expiry))
	return eventually(cond)
}
