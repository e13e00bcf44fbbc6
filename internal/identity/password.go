package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are argon2id's cost parameters (RFC 9106). In Config, a zero
// field means OWASP's recommendation for that field.
type Argon2Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8 // lanes; each lane is a goroutine while hashing
	SaltLength  uint32
	KeyLength   uint32
}

// owaspArgon2 is the OWASP Password Storage Cheat Sheet's first argon2id
// configuration: m=19 MiB, t=2, p=1; with a 16-byte salt (RFC 9106 §3.1)
// and a 32-byte tag.
var owaspArgon2 = Argon2Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Bounds for parameters, in Config and in stored hashes. A stored hash
// outside them is refused rather than verified: it would cost unbounded
// memory or time, and nothing this package writes looks like that.
const (
	maxArgon2Memory     = 1 << 20 // KiB: 1 GiB
	maxArgon2Iterations = 64
	minArgon2Salt       = 16
	maxArgon2Salt       = 64
	minArgon2Key        = 16
	maxArgon2Key        = 64
)

func (p Argon2Params) withDefaults() Argon2Params {
	if p.Memory == 0 {
		p.Memory = owaspArgon2.Memory
	}
	if p.Iterations == 0 {
		p.Iterations = owaspArgon2.Iterations
	}
	if p.Parallelism == 0 {
		p.Parallelism = owaspArgon2.Parallelism
	}
	if p.SaltLength == 0 {
		p.SaltLength = owaspArgon2.SaltLength
	}
	if p.KeyLength == 0 {
		p.KeyLength = owaspArgon2.KeyLength
	}
	return p
}

func (p Argon2Params) validate() error {
	switch {
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxArgon2Memory:
		return fmt.Errorf("argon2 memory %d KiB: want 8×parallelism..%d", p.Memory, maxArgon2Memory)
	case p.Iterations < 1 || p.Iterations > maxArgon2Iterations:
		return fmt.Errorf("argon2 iterations %d: want 1..%d", p.Iterations, maxArgon2Iterations)
	case p.Parallelism < 1:
		return errors.New("argon2 parallelism 0: want at least 1")
	case p.SaltLength < minArgon2Salt || p.SaltLength > maxArgon2Salt:
		return fmt.Errorf("argon2 salt length %d: want %d..%d bytes", p.SaltLength, minArgon2Salt, maxArgon2Salt)
	case p.KeyLength < minArgon2Key || p.KeyLength > maxArgon2Key:
		return fmt.Errorf("argon2 key length %d: want %d..%d bytes", p.KeyLength, minArgon2Key, maxArgon2Key)
	}
	return nil
}

// kdfFunc has argon2.IDKey's signature; tests swap in a counting wrapper.
type kdfFunc func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte

// hasher hashes and verifies passwords with argon2id, at most cap(sem) at a
// time: each run holds Memory KiB, so a login storm queues instead of
// exhausting memory (500 logins × 19 MiB would be 9.5 GB) and CPUs. A caller
// waits at most maxWait for a slot, so the queue cannot grow without bound
// either: past it the answer is ErrBusy.
type hasher struct {
	params  Argon2Params
	sem     chan struct{}
	maxWait time.Duration
	kdf     kdfFunc
	// dummy is a well-formed hash at the current parameters that no
	// password matches (its tag is random). Verifying against it gives an
	// unknown email the cost of a known one.
	dummy string
}

func newHasher(p Argon2Params, maxConcurrent int, maxWait time.Duration) *hasher {
	salt, tag := make([]byte, p.SaltLength), make([]byte, p.KeyLength)
	rand.Read(salt)
	rand.Read(tag)
	return &hasher{
		params:  p,
		sem:     make(chan struct{}, maxConcurrent),
		maxWait: maxWait,
		kdf:     argon2.IDKey,
		dummy:   encodeHash(p, salt, tag),
	}
}

// derive runs the KDF once a slot is free. It gives up with ErrBusy when
// none frees up within maxWait, or with ctx's error when ctx ends first.
func (h *hasher) derive(ctx context.Context, password, salt []byte, p Argon2Params) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	select {
	case h.sem <- struct{}{}: // a free slot: no timer needed
	default:
		wait := time.NewTimer(h.maxWait)
		defer wait.Stop()
		select {
		case h.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait to hash password: %w", ctx.Err())
		case <-wait.C:
			return nil, ErrBusy
		}
	}
	defer func() { <-h.sem }()
	return h.kdf(password, salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength), nil
}

// hash returns password's argon2id hash in PHC string format with a fresh
// random salt.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLength)
	rand.Read(salt) // never fails: since Go 1.24 it crashes the program instead
	key, err := h.derive(ctx, []byte(password), salt, h.params)
	if err != nil {
		return "", err
	}
	return encodeHash(h.params, salt, key), nil
}

// verify reports whether password matches encoded, and whether encoded
// should be replaced by a hash at the current parameters. The comparison is
// constant-time.
func (h *hasher) verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := h.derive(ctx, []byte(password), salt, p)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != h.params, nil
}

var b64 = base64.RawStdEncoding.Strict()

// encodeHash writes the PHC string format that the reference implementation
// and libsodium use: $argon2id$v=19$m=…,t=…,p=…$salt$tag (unpadded base64).
func encodeHash(p Argon2Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.Memory, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// errBadHash means a stored hash is not one this package can verify; it is a
// server fault, not a wrong password.
var errBadHash = errors.New("stored password hash is malformed or out of bounds")

// decodeHash parses a PHC argon2id string. It accepts only the canonical
// form encodeHash writes (so there is one spelling per hash) and parameters
// within bounds.
func decodeHash(encoded string) (Argon2Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" ||
		parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Argon2Params{}, nil, nil, errBadHash
	}
	mStr, rest, ok1 := strings.Cut(parts[3], ",")
	tStr, pStr, ok2 := strings.Cut(rest, ",")
	mVal, okm := strings.CutPrefix(mStr, "m=")
	tVal, okt := strings.CutPrefix(tStr, "t=")
	pVal, okp := strings.CutPrefix(pStr, "p=")
	if !ok1 || !ok2 || !okm || !okt || !okp {
		return Argon2Params{}, nil, nil, errBadHash
	}
	m, errM := strconv.ParseUint(mVal, 10, 32)
	t, errT := strconv.ParseUint(tVal, 10, 32)
	par, errP := strconv.ParseUint(pVal, 10, 8)
	salt, errS := b64.DecodeString(parts[4])
	key, errK := b64.DecodeString(parts[5])
	if err := errors.Join(errM, errT, errP, errS, errK); err != nil {
		return Argon2Params{}, nil, nil, errBadHash
	}
	p := Argon2Params{Memory: uint32(m), Iterations: uint32(t), Parallelism: uint8(par),
		SaltLength: uint32(len(salt)), KeyLength: uint32(len(key))}
	if p.validate() != nil || encodeHash(p, salt, key) != encoded {
		return Argon2Params{}, nil, nil, errBadHash
	}
	return p, salt, key, nil
}
