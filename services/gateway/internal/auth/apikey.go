// Package auth mints and checks the gateway's credentials: tenant API keys
// ("wam_" + random base62 + CRC32 checksum, stored as SHA-256) and
// session-scoped tokens (JWT HS256 with an expiry and a revocable id).
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"math/big"
	"strings"
)

// KeyPrefix starts every tenant API key.
const KeyPrefix = "wam_"

const (
	keyRandomLen   = 30 // base62 characters of randomness (~178 bits)
	keyChecksumLen = 6  // base62 characters of the CRC32 of the random part
	keyLen         = len(KeyPrefix) + keyRandomLen + keyChecksumLen
	base62         = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// ErrMalformedKey is returned by CheckKey for a string that cannot be a key
// (wrong prefix, length, alphabet or checksum); no lookup is needed.
var ErrMalformedKey = errors.New("malformed api key")

// NewKey returns a fresh API key.
func NewKey() string {
	var b strings.Builder
	b.WriteString(KeyPrefix)
	max := big.NewInt(int64(len(base62)))
	random := make([]byte, keyRandomLen)
	for i := range random {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
		}
		random[i] = base62[n.Int64()]
	}
	b.Write(random)
	b.WriteString(checksum(random))
	return b.String()
}

// CheckKey verifies the shape and checksum of a key.
func CheckKey(key string) error {
	if len(key) != keyLen || !strings.HasPrefix(key, KeyPrefix) {
		return ErrMalformedKey
	}
	random := key[len(KeyPrefix) : len(KeyPrefix)+keyRandomLen]
	for i := 0; i < len(random); i++ {
		if strings.IndexByte(base62, random[i]) < 0 {
			return ErrMalformedKey
		}
	}
	if key[len(KeyPrefix)+keyRandomLen:] != checksum([]byte(random)) {
		return ErrMalformedKey
	}
	return nil
}

// HashKey is the KV key a key is stored under: hex SHA-256 of the whole key.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// KeyDisplayPrefix is the part of a key shown in listings.
func KeyDisplayPrefix(key string) string { return key[:len(KeyPrefix)+6] }

func checksum(random []byte) string {
	n := crc32.ChecksumIEEE(random)
	out := make([]byte, keyChecksumLen)
	for i := keyChecksumLen - 1; i >= 0; i-- {
		out[i] = base62[n%62]
		n /= 62
	}
	return string(out)
}
