// Package ids validates and generates the identifiers that travel inside NATS
// subjects and KV keys: tenants, sessions, webhooks, shards. Only
// [A-Za-z0-9_-]{1,64} is allowed, so a JID, phone number or user text can never
// change the shape of a subject.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// MaxLen is the longest identifier accepted.
const MaxLen = 64

// ErrInvalid is returned (wrapped) by Validate for an identifier that is empty,
// too long or contains a character outside [A-Za-z0-9_-].
var ErrInvalid = errors.New("invalid id")

// Valid reports whether s is a well-formed identifier.
func Valid(s string) bool {
	if len(s) == 0 || len(s) > MaxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Validate returns nil for a well-formed identifier and an error naming the
// kind of id ("session", "tenant", ...) otherwise.
func Validate(kind, s string) error {
	if Valid(s) {
		return nil
	}
	if len(s) == 0 {
		return fmt.Errorf("%w: %s id is empty", ErrInvalid, kind)
	}
	if len(s) > MaxLen {
		return fmt.Errorf("%w: %s id is longer than %d characters", ErrInvalid, kind, MaxLen)
	}
	return fmt.Errorf("%w: %s id %q may contain only letters, digits, '_' and '-'", ErrInvalid, kind, s)
}

// New returns a random identifier with the given prefix, e.g. New("wh") ->
// "wh_3f9a0c1e5b7d2a4c6e8f0a1b". The prefix must itself be a valid id.
func New(prefix string) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // never happens on supported platforms
	}
	return prefix + "_" + hex.EncodeToString(b[:])
}

// NewMessageID returns a WhatsApp-style message id ("3EB0" + 18 upper-case
// hex digits, as whatsmeow generates). The gateway pre-generates it so a
// redelivered send command reuses the same id.
func NewMessageID() string {
	var b [9]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return "3EB0" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// NewMediaID returns a media id for the wamesh_media object store.
func NewMediaID() string { return New("med") }

// MediaObject returns the object name of a media id: <tenant>/<session>/<media id>.
func MediaObject(tenant, session, mediaID string) string {
	return tenant + "/" + session + "/" + mediaID
}
