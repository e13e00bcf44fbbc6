package jobs

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// sealInfo separates the sealing key from every other use of the secret
// it is derived from (TENANT_CONTEXT_KEY signs tenant contexts too).
const sealInfo = "tenantkit mail token v1"

// sealPrefix versions the sealed form, so that a later key or format can
// be told apart from this one.
const sealPrefix = "v1."

// minKeyBytes is the shortest secret New accepts.
const minKeyBytes = 32

// errUnseal is every reason a sealed token does not open; which one is
// nobody's business but the attacker's.
var errUnseal = errors.New("sealed token does not open")

// sealer seals mail tokens for job args and opens them in the worker.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(secret []byte) (*sealer, error) {
	if len(secret) < minKeyBytes {
		return nil, fmt.Errorf("jobs: Key is %d bytes, want at least %d", len(secret), minKeyBytes)
	}
	key, err := hkdf.Key(sha256.New, secret, nil, sealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("jobs: derive the sealing key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// additionalData binds a sealed token to the mail it was sealed for.
func additionalData(kind, to string) []byte {
	return []byte(kind + "\x00" + to)
}

// seal returns token encrypted under a random nonce, bound to kind and to;
// the empty token seals to "".
func (s *sealer) seal(token, kind, to string) (string, error) {
	if token == "" {
		return "", nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, []byte(token), additionalData(kind, to))
	return sealPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// open reverses seal for the same kind and to; anything else fails with
// errUnseal.
func (s *sealer) open(sealed, kind, to string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", errUnseal
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errUnseal
	}
	n := s.aead.NonceSize()
	token, err := s.aead.Open(nil, b[:n], b[n:], additionalData(kind, to))
	if err != nil {
		return "", errUnseal
	}
	return string(token), nil
}
