package events

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wamesh/wamesh/pkg/ids"
)

// StreamName is the JetStream stream holding every event.
const StreamName = "WAMESH_EVENTS"

// SubjectPrefix starts every event subject.
const SubjectPrefix = "wamesh.events."

// ErrBadSubject is returned by ParseSubject for a subject outside the events namespace.
var ErrBadSubject = errors.New("bad event subject")

// TenantLevel is the session token used for events that belong to no
// session (webhook delivery outcomes).
const TenantLevel = "_"

// Subject returns wamesh.events.<tenant>.<session>.<type tokens>. An empty
// session is written as "_" (tenant-level events).
func Subject(tenant, session string, t Type) (string, error) {
	if err := ids.Validate("tenant", tenant); err != nil {
		return "", err
	}
	if session == "" {
		session = TenantLevel
	} else if err := ids.Validate("session", session); err != nil {
		return "", err
	}
	if !validType(string(t)) {
		return "", fmt.Errorf("%w: event type %q", ErrBadSubject, t)
	}
	return SubjectPrefix + tenant + "." + session + "." + string(t), nil
}

// ParseSubject is the inverse of Subject.
func ParseSubject(s string) (tenant, session string, t Type, err error) {
	rest, ok := strings.CutPrefix(s, SubjectPrefix)
	if !ok {
		return "", "", "", fmt.Errorf("%w: %q lacks prefix %s", ErrBadSubject, s, SubjectPrefix)
	}
	parts := strings.SplitN(rest, ".", 3)
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("%w: %q has no event type", ErrBadSubject, s)
	}
	tenant, session, typ := parts[0], parts[1], parts[2]
	if !ids.Valid(tenant) {
		return "", "", "", fmt.Errorf("%w: tenant token %q", ErrBadSubject, tenant)
	}
	if !ids.Valid(session) {
		return "", "", "", fmt.Errorf("%w: session token %q", ErrBadSubject, session)
	}
	if !validType(typ) {
		return "", "", "", fmt.Errorf("%w: event type %q", ErrBadSubject, typ)
	}
	if session == TenantLevel {
		session = ""
	}
	return tenant, session, Type(typ), nil
}

// FilterSubject builds a subscription subject for a tenant, optionally one
// session ("" = all) and a type pattern ("" or "*" = all, "message.*").
func FilterSubject(tenant, session, pattern string) string {
	t, s := "*", "*"
	if tenant != "" {
		t = tenant
	}
	if session != "" {
		s = session
	}
	p := ">"
	switch {
	case pattern == "" || pattern == "*" || pattern == ">":
	case strings.HasSuffix(pattern, ".*") || strings.HasSuffix(pattern, ".>"):
		p = pattern[:len(pattern)-2] + ".>"
	default:
		p = pattern
	}
	return SubjectPrefix + t + "." + s + "." + p
}

// validType accepts dot-separated tokens of [a-z0-9_], each non-empty.
func validType(t string) bool {
	if t == "" || len(t) > 128 {
		return false
	}
	prevDot := true
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '.':
			if prevDot {
				return false
			}
			prevDot = true
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		default:
			return false
		}
		prevDot = false
	}
	return !prevDot
}
