// Package signing signs webhook requests per the Standard Webhooks
// specification: webhook-signature is "v1,<base64 HMAC-SHA256 of
// id.timestamp.body>", keyed with the base64-decoded part of a "whsec_"
// secret, one space-separated "v1,..." per active secret during rotation.
package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SecretPrefix starts every webhook secret.
const SecretPrefix = "whsec_"

// Header names of the Standard Webhooks specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// ErrBadSecret is returned by Decode for a secret that is not base64 after
// its optional "whsec_" prefix, or that is empty.
var ErrBadSecret = errors.New("bad webhook secret")

// Key is a decoded signing key.
type Key []byte

// Decode returns the key of a "whsec_<base64>" secret (the prefix is optional).
func Decode(secret string) (Key, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSecret, err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrBadSecret)
	}
	return Key(b), nil
}

// Sign returns "v1,<signature>" of one message under key.
func (k Key) Sign(id string, ts time.Time, body []byte) string {
	return "v1," + encode(k.mac(), id, ts.Unix(), body)
}

func (k Key) mac() hash.Hash { return hmac.New(sha256.New, k) }

// encode returns the base64 HMAC of "id.timestamp.body" under h, which is
// in its initial state.
func encode(h hash.Hash, id string, unix int64, body []byte) string {
	var prefix [128]byte // "id.timestamp." in one write; ids are short
	h.Write(strconv.AppendInt(append(append(prefix[:0], id...), '.'), unix, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	var sum [sha256.Size]byte
	return base64.StdEncoding.EncodeToString(h.Sum(sum[:0]))
}

// Signature returns the webhook-signature header value for a message: one
// "v1,..." per key, space-separated, in key order.
func Signature(keys []Key, id string, ts time.Time, body []byte) string {
	return NewSigner(keys...).Signature(id, ts, body)
}

// Signer makes webhook-signature values for a fixed set of keys. It keeps
// the HMAC states it made for reuse (setting up an HMAC hashes the key
// twice, as much work as signing a short body), so keep one per set of
// keys. It is safe for concurrent use.
type Signer struct {
	keys  []Key
	pools []sync.Pool // per key: hash.Hash in its initial state
}

// NewSigner returns a Signer for keys, in header order.
func NewSigner(keys ...Key) *Signer {
	return &Signer{keys: keys, pools: make([]sync.Pool, len(keys))}
}

// Signature is the header value for a message, as the function Signature;
// "" for a nil Signer (no keys).
func (s *Signer) Signature(id string, ts time.Time, body []byte) string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	for i, k := range s.keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		h, _ := s.pools[i].Get().(hash.Hash)
		if h == nil {
			h = k.mac()
		}
		b.WriteString("v1,")
		b.WriteString(encode(h, id, ts.Unix(), body))
		h.Reset()
		s.pools[i].Put(h)
	}
	return b.String()
}
