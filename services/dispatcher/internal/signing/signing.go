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
	"strconv"
	"strings"
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
	return "v1," + k.signature(id, ts.Unix(), body)
}

func (k Key) signature(id string, unix int64, body []byte) string {
	h := hmac.New(sha256.New, k)
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
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k.Sign(id, ts, body))
	}
	return b.String()
}
