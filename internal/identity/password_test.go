package identity

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/argon2"
)

func TestConfigDefaults(t *testing.T) {
	s, err := New(appPool(t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	got := s.cfg
	got.Logger = nil
	want := Config{
		MinPasswordLength:   8,
		MaxPasswordBytes:    256,
		MaxConcurrentHashes: max(1, runtime.GOMAXPROCS(0)/2),
		MaxHashWait:         2 * time.Second,
		// OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1.
		Argon2: Argon2Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		// Caller's cache: a minute at most, 50,000 answers.
		CallerCacheTTL:  time.Minute,
		CallerCacheSize: 50_000,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if got, want := cap(s.hasher.sem), max(1, runtime.GOMAXPROCS(0)/2); got != want {
		t.Errorf("hash slots = %d, want %d", got, want)
	}
	if got, want := s.hasher.maxWait, 2*time.Second; got != want {
		t.Errorf("hash wait = %v, want %v", got, want)
	}
}

// TestDefaultMaxConcurrentHashes: half the CPUs hash at most, so a login
// storm leaves the rest to serve other requests; one CPU still gets a slot.
func TestDefaultMaxConcurrentHashes(t *testing.T) {
	for _, tt := range []struct{ procs, want int }{{1, 1}, {2, 1}, {3, 1}, {4, 2}, {5, 2}, {16, 8}} {
		if got := defaultMaxConcurrentHashes(tt.procs); got != tt.want {
			t.Errorf("defaultMaxConcurrentHashes(%d) = %d, want %d", tt.procs, got, tt.want)
		}
	}
}

func TestConfigRejected(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"min length below NIST floor", Config{MinPasswordLength: 7}},
		{"min length above 64", Config{MinPasswordLength: 65}},
		{"max bytes too small for 64 characters", Config{MaxPasswordBytes: 255}},
		{"max bytes too large", Config{MaxPasswordBytes: 4097}},
		{"negative concurrency", Config{MaxConcurrentHashes: -1}},
		{"negative hash wait", Config{MaxHashWait: -time.Second}},
		{"negative caller cache size", Config{CallerCacheSize: -1}},
		{"short salt", Config{Argon2: Argon2Params{SaltLength: 8}}},
		{"short key", Config{Argon2: Argon2Params{KeyLength: 8}}},
		{"memory below 8 per lane", Config{Argon2: Argon2Params{Memory: 8, Parallelism: 2}}},
		{"memory above 1 GiB", Config{Argon2: Argon2Params{Memory: 1<<20 + 1}}},
		{"too many iterations", Config{Argon2: Argon2Params{Iterations: 65}}},
	}
	pool := appPool(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(pool, tt.cfg); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
	if _, err := New(nil, Config{}); err == nil {
		t.Error("New(nil pool) succeeded, want an error")
	}
}

// TestHashDefaultParams hashes once at the production parameters.
func TestHashDefaultParams(t *testing.T) {
	h := newHasher(owaspArgon2, 1, time.Minute)
	got, err := h.hash(t.Context(), goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(got, want) {
		t.Errorf("hash = %q, want prefix %q", got, want)
	}
	ok, rehash, err := h.verify(t.Context(), goodPassword, got)
	if !ok || rehash || err != nil {
		t.Errorf("verify own hash = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestHashFormat(t *testing.T) {
	h := newHasher(cheapArgon2.withDefaults(), 1, time.Minute)
	a, err := h.hash(t.Context(), goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.hash(t.Context(), goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two hashes of one password are equal; the salt is not random")
	}
	p, salt, key, err := decodeHash(a)
	if err != nil {
		t.Fatalf("decodeHash(%q): %v", a, err)
	}
	if diff := cmp.Diff(cheapArgon2.withDefaults(), p); diff != "" {
		t.Errorf("decoded params (-want +got):\n%s", diff)
	}
	// The tag is argon2id over the password and the stored salt.
	if want := argon2.IDKey([]byte(goodPassword), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength); string(key) != string(want) {
		t.Error("stored tag is not argon2id(password, salt)")
	}
}

// TestVerifyReferenceVectors checks interoperability with hashes made by
// the Argon2 reference implementation's CLI (Debian package argon2):
//
//	echo -n PASSWORD | argon2 SALT -id -t T -k M -p P -l L -e
func TestVerifyReferenceVectors(t *testing.T) {
	tests := []struct {
		password, encoded string
		rehash            bool
	}{
		{"correct horse battery staple", "$argon2id$v=19$m=19456,t=2,p=1$dGVuYW50a2l0LXNhbHQxNg$yUFjIFiOMYYX4Sp+N5Ws+F/liAxw6b1d0Y7yWPa1tC0", false},
		{"pässwörd ünïcode", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$T3X1OBblDJ5Ss5+a4Z9N0fJf51rtGR/wSf94tCSbGw4", true},
		{"password", "$argon2id$v=19$m=4096,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$i3owDdJiDpZ71O+c+SVkeQ", true},
	}
	h := newHasher(owaspArgon2, 2, time.Minute)
	for _, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			ok, rehash, err := h.verify(t.Context(), tt.password, tt.encoded)
			if err != nil || !ok || rehash != tt.rehash {
				t.Errorf("verify(right password) = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.rehash)
			}
			ok, _, err = h.verify(t.Context(), tt.password+"x", tt.encoded)
			if err != nil || ok {
				t.Errorf("verify(wrong password) = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestDecodeHashRejects(t *testing.T) {
	const good = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$T3X1OBblDJ5Ss5+a4Z9N0fJf51rtGR/wSf94tCSbGw4"
	if _, _, _, err := decodeHash(good); err != nil {
		t.Fatalf("decodeHash(good) = %v", err)
	}
	tests := map[string]string{
		"empty":           "",
		"argon2i":         strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":     strings.Replace(good, "v=19", "v=16", 1),
		"no version":      strings.Replace(good, "$v=19", "", 1),
		"params reorder":  strings.Replace(good, "m=64,t=1", "t=1,m=64", 1),
		"leading zero":    strings.Replace(good, "m=64", "m=064", 1),
		"extra param":     strings.Replace(good, "p=1", "p=1,keyid=x", 1),
		"padded base64":   good + "=",
		"bad base64":      strings.Replace(good, "c2Fs", "c2F!", 1),
		"trailing field":  good + "$x",
		"short salt":      "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$T3X1OBblDJ5Ss5+a4Z9N0fJf51rtGR/wSf94tCSbGw4",
		"huge memory":     strings.Replace(good, "m=64", "m=4194304", 1),
		"zero iterations": strings.Replace(good, "t=1", "t=0", 1),
		"zero lanes":      strings.Replace(good, "p=1", "p=0", 1),
		"lanes overflow":  strings.Replace(good, "p=1", "p=256", 1),
	}
	for name, encoded := range tests {
		t.Run(name, func(t *testing.T) {
			if _, _, _, err := decodeHash(encoded); !errors.Is(err, errBadHash) {
				t.Errorf("decodeHash(%q) = %v, want errBadHash", encoded, err)
			}
		})
	}
}

// TestHashConcurrencyBound runs many hashes at once and checks no more than
// MaxConcurrentHashes run together, and that they do run in parallel up to
// it. The wait is long, so every caller gets its turn.
func TestHashConcurrencyBound(t *testing.T) {
	const limit, callers = 3, 30
	s, probe := newTestService(t, Config{MaxConcurrentHashes: limit, MaxHashWait: time.Minute})
	probe.delay = 10 * time.Millisecond
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			if _, err := s.hasher.hash(t.Context(), goodPassword); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := probe.calls.Load(); got != callers {
		t.Errorf("KDF runs = %d, want %d", got, callers)
	}
	if got := probe.maxInFlight.Load(); got != limit {
		t.Errorf("most KDF runs at once = %d, want %d", got, limit)
	}
}

// TestHashWaitRespectsContext: a caller queued behind busy slots gives up
// when its context ends (before MaxHashWait), without running the KDF.
func TestHashWaitRespectsContext(t *testing.T) {
	s, probe := newTestService(t, Config{MaxConcurrentHashes: 1, MaxHashWait: time.Minute})
	started, release := make(chan struct{}), make(chan struct{})
	inner := s.hasher.kdf
	s.hasher.kdf = func(password, salt []byte, time_, memory uint32, threads uint8, keyLen uint32) []byte {
		close(started)
		<-release
		return inner(password, salt, time_, memory, threads, keyLen)
	}
	done := make(chan error)
	go func() {
		_, err := s.hasher.hash(context.Background(), goodPassword)
		done <- err
	}()
	<-started // the only slot is taken

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := s.hasher.hash(ctx, goodPassword)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hash while slots are busy = %v, want context.DeadlineExceeded", err)
	}
	_, err = s.Authenticate(ctx, uniqueEmail(), goodPassword)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Authenticate while slots are busy = %v, want context.DeadlineExceeded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("hash holding the slot: %v", err)
	}
	if got := probe.calls.Load(); got != 1 {
		t.Errorf("KDF runs = %d, want 1 (the waiters must not run it)", got)
	}
}

// TestHashWaitBusy: with the only slot held, callers give up with ErrBusy
// after MaxHashWait without running the KDF: hashing, SignUp, and
// Authenticate for a known and an unknown email alike (same error, so a busy
// answer says nothing about the account).
func TestHashWaitBusy(t *testing.T) {
	s, probe := newTestService(t, Config{MaxConcurrentHashes: 1, MaxHashWait: time.Millisecond})
	known := signUp(t, s)

	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	inner := s.hasher.kdf
	s.hasher.kdf = func(password, salt []byte, time_, memory uint32, threads uint8, keyLen uint32) []byte {
		once.Do(func() { close(started) })
		<-release
		return inner(password, salt, time_, memory, threads, keyLen)
	}
	done := make(chan error)
	go func() {
		_, err := s.hasher.hash(context.Background(), goodPassword)
		done <- err
	}()
	<-started // the only slot is taken
	before := probe.calls.Load()

	if _, err := s.hasher.hash(t.Context(), goodPassword); !errors.Is(err, ErrBusy) {
		t.Errorf("hash while the slot is held = %v, want ErrBusy", err)
	}
	if _, err := s.SignUp(t.Context(), uniqueEmail(), goodPassword, "Ada"); !errors.Is(err, ErrBusy) {
		t.Errorf("SignUp while the slot is held = %v, want ErrBusy", err)
	}
	_, errKnown := s.Authenticate(t.Context(), known.Email, goodPassword)
	_, errUnknown := s.Authenticate(t.Context(), uniqueEmail(), goodPassword)
	if !errors.Is(errKnown, ErrBusy) || !errors.Is(errUnknown, ErrBusy) {
		t.Errorf("Authenticate while the slot is held = %v (known), %v (unknown); want ErrBusy for both", errKnown, errUnknown)
	} else if errKnown.Error() != errUnknown.Error() {
		t.Errorf("busy errors differ: %q (known) vs %q (unknown)", errKnown, errUnknown)
	}
	if got := probe.calls.Load() - before; got != 0 {
		t.Errorf("KDF runs while busy = %d, want 0", got)
	}

	close(release)
	if err := <-done; err != nil {
		t.Errorf("hash holding the slot: %v", err)
	}
	// The slot is free again: no lasting harm.
	if _, err := s.Authenticate(t.Context(), known.Email, goodPassword); err != nil {
		t.Errorf("Authenticate after the slot is freed = %v, want success", err)
	}
}

// BenchmarkHashPassword measures one hash at the production parameters.
// Run without -race: go test -run '^$' -bench HashPassword ./internal/identity
func BenchmarkHashPassword(b *testing.B) {
	h := newHasher(owaspArgon2, runtime.GOMAXPROCS(0), time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.hash(b.Context(), goodPassword); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHashPasswordParallel measures throughput with every slot busy.
func BenchmarkHashPasswordParallel(b *testing.B) {
	h := newHasher(owaspArgon2, runtime.GOMAXPROCS(0), time.Minute)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.hash(context.Background(), goodPassword); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
