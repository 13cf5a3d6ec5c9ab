// Package jid normalises the chat parameter of the REST API: a phone number in
// any common format ("+49 151 1234-5678", "0049151...", digits) or a WhatsApp
// JID ("...@s.whatsapp.net", "...@g.us", "...@lid", "...@newsletter",
// "status@broadcast") becomes one canonical JID string. It is pure Go and does
// not import whatsmeow, so every service can use it.
package jid

import (
	"errors"
	"fmt"
	"strings"
)

// Servers of the JIDs wamesh accepts.
const (
	ServerUser       = "s.whatsapp.net" // phone-number users
	ServerGroup      = "g.us"           // groups
	ServerLID        = "lid"            // hidden user ids
	ServerNewsletter = "newsletter"     // channels
	ServerBroadcast  = "broadcast"      // status@broadcast
	serverLegacyUser = "c.us"           // old user server, mapped to ServerUser
)

// StatusBroadcast is the JID of the status (stories) broadcast.
const StatusBroadcast = "status@" + ServerBroadcast

// Phone numbers are E.164: a country code and at most 15 digits in total.
const (
	minPhoneDigits = 7
	maxPhoneDigits = 15
	maxUserDigits  = 24 // LIDs and group ids are longer than phone numbers
	maxInputLen    = 128
)

// Errors returned by Normalize (wrapped, with the offending detail).
var (
	// ErrEmpty: the input is empty or only whitespace.
	ErrEmpty = errors.New("empty chat")
	// ErrInvalidPhone: the input looks like a phone number but is not one in international format.
	ErrInvalidPhone = errors.New("invalid phone number")
	// ErrInvalidJID: the input has an '@' but is not a JID wamesh supports.
	ErrInvalidJID = errors.New("invalid jid")
)

// Normalize returns the canonical JID of a phone number or JID.
func Normalize(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmpty
	}
	if len(s) > maxInputLen {
		return "", fmt.Errorf("%w: longer than %d characters", ErrInvalidJID, maxInputLen)
	}
	if strings.Contains(s, "@") {
		return normalizeJID(s)
	}
	digits, err := PhoneDigits(s)
	if err != nil {
		return "", err
	}
	return digits + "@" + ServerUser, nil
}

// IsGroup reports whether a canonical JID is a group.
func IsGroup(j string) bool { return strings.HasSuffix(j, "@"+ServerGroup) }

// User returns the user part of a JID ("49151..." of "49151...@s.whatsapp.net").
func User(j string) string {
	u, _, _ := strings.Cut(j, "@")
	return u
}

// PhoneDigits reduces a phone number in a common written format to its E.164
// digits without "+": separators (space, '-', '.', '/', parentheses) are
// dropped, a leading "+" or "00" marks the international prefix, and a
// national trunk "(0)" after the country code is removed.
func PhoneDigits(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmpty
	}
	s = strings.ReplaceAll(s, "(0)", "")
	var b strings.Builder
	plus := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '/' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", fmt.Errorf("%w: unexpected character %q", ErrInvalidPhone, r)
		}
	}
	d := b.String()
	if !plus {
		if rest, ok := strings.CutPrefix(d, "00"); ok {
			d = rest
		} else if strings.HasPrefix(d, "0") {
			return "", fmt.Errorf("%w: national format without country code", ErrInvalidPhone)
		}
	}
	if strings.HasPrefix(d, "0") {
		return "", fmt.Errorf("%w: country code cannot start with 0", ErrInvalidPhone)
	}
	if len(d) < minPhoneDigits || len(d) > maxPhoneDigits {
		return "", fmt.Errorf("%w: expected %d to %d digits, got %d", ErrInvalidPhone, minPhoneDigits, maxPhoneDigits, len(d))
	}
	return d, nil
}

func normalizeJID(s string) (string, error) {
	user, server, _ := strings.Cut(s, "@")
	server = strings.ToLower(server)
	if server == serverLegacyUser {
		server = ServerUser
	}
	switch server {
	case ServerUser, ServerLID:
		u, err := stripDevice(user)
		if err != nil {
			return "", err
		}
		if !digitsOnly(u, 1, maxUserDigits) {
			return "", fmt.Errorf("%w: user part of %q must be digits", ErrInvalidJID, s)
		}
		return u + "@" + server, nil
	case ServerGroup:
		if !validGroupUser(user) {
			return "", fmt.Errorf("%w: group id of %q must be digits (or digits-digits)", ErrInvalidJID, s)
		}
		return user + "@" + server, nil
	case ServerNewsletter:
		if !digitsOnly(user, 1, maxUserDigits) {
			return "", fmt.Errorf("%w: newsletter id of %q must be digits", ErrInvalidJID, s)
		}
		return user + "@" + server, nil
	case ServerBroadcast:
		if strings.ToLower(user) != "status" {
			return "", fmt.Errorf("%w: only status@broadcast is supported", ErrInvalidJID)
		}
		return StatusBroadcast, nil
	default:
		return "", fmt.Errorf("%w: unknown server %q", ErrInvalidJID, server)
	}
}

// stripDevice removes the agent/device suffix of an AD-JID ("49151:12" -> "49151").
func stripDevice(user string) (string, error) {
	u, device, hasDevice := strings.Cut(user, ":")
	if hasDevice && !digitsOnly(device, 1, 4) {
		return "", fmt.Errorf("%w: device part %q must be digits", ErrInvalidJID, device)
	}
	if agent, _, ok := strings.Cut(u, "."); ok {
		u = agent
	}
	return u, nil
}

func validGroupUser(u string) bool {
	creator, ts, legacy := strings.Cut(u, "-")
	if legacy {
		return digitsOnly(creator, 1, maxUserDigits) && digitsOnly(ts, 1, maxUserDigits)
	}
	return digitsOnly(u, 1, maxUserDigits)
}

func digitsOnly(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
