package jid

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		err      error
	}{
		{"+49 151 1234-5678", "4915112345678@s.whatsapp.net", nil},
		{"0049 151 12345678", "4915112345678@s.whatsapp.net", nil},
		{"4915112345678", "4915112345678@s.whatsapp.net", nil},
		{"+49 (0)151 12345678", "4915112345678@s.whatsapp.net", nil},
		{"+1 (555) 010-9999", "15550109999@s.whatsapp.net", nil},
		{"  +44.20.7946.0958 ", "442079460958@s.whatsapp.net", nil},
		{"4915112345678@s.whatsapp.net", "4915112345678@s.whatsapp.net", nil},
		{"4915112345678:12@s.whatsapp.net", "4915112345678@s.whatsapp.net", nil},
		{"4915112345678.0:3@S.WhatsApp.net", "4915112345678@s.whatsapp.net", nil},
		{"4915112345678@c.us", "4915112345678@s.whatsapp.net", nil},
		{"120363025246125486@g.us", "120363025246125486@g.us", nil},
		{"4915112345678-1612345678@g.us", "4915112345678-1612345678@g.us", nil},
		{"123456789012345@lid", "123456789012345@lid", nil},
		{"120363144038483540@newsletter", "120363144038483540@newsletter", nil},
		{"status@broadcast", "status@broadcast", nil},
		{"", "", ErrEmpty},
		{"   ", "", ErrEmpty},
		{"0151 12345678", "", ErrInvalidPhone},
		{"+0151", "", ErrInvalidPhone},
		{"12345", "", ErrInvalidPhone},
		{"1234567890123456", "", ErrInvalidPhone},
		{"49151abc", "", ErrInvalidPhone},
		{"49+151", "", ErrInvalidPhone},
		{"abc@s.whatsapp.net", "", ErrInvalidJID},
		{"@s.whatsapp.net", "", ErrInvalidJID},
		{"123@example.com", "", ErrInvalidJID},
		{"123@g.us@g.us", "", ErrInvalidJID},
		{"foo@broadcast", "", ErrInvalidJID},
		{"12-@g.us", "", ErrInvalidJID},
		{"49151:x@s.whatsapp.net", "", ErrInvalidJID},
		{strings.Repeat("1", 200), "", ErrInvalidJID},
	}
	for _, tc := range tests {
		got, err := Normalize(tc.in)
		if !errors.Is(err, tc.err) {
			t.Errorf("Normalize(%q) error = %v, want %v", tc.in, err, tc.err)
			continue
		}
		if got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIsGroupAndUser(t *testing.T) {
	t.Parallel()
	if !IsGroup("1203@g.us") || IsGroup("49151@s.whatsapp.net") {
		t.Fatal("IsGroup is wrong")
	}
	if User("49151@s.whatsapp.net") != "49151" {
		t.Fatal("User is wrong")
	}
}

// FuzzNormalize checks the invariants of every accepted input: the result is
// a fixed point, has exactly one '@', no whitespace and a known server, and a
// phone-looking input keeps its digits.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+49 151 1234-5678", "0049151", "4915112345678@s.whatsapp.net", "1-2@g.us",
		"1:2@lid", "status@broadcast", "12@newsletter", "(0)", "+", "@", "1@c.us"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Normalize(in)
		if err != nil {
			if out != "" {
				t.Fatalf("Normalize(%q) returned %q with error %v", in, out, err)
			}
			return
		}
		again, err := Normalize(out)
		if err != nil || again != out {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q (%v)", in, out, again, err)
		}
		if strings.Count(out, "@") != 1 || strings.ContainsAny(out, " \t\r\n") {
			t.Fatalf("Normalize(%q) = %q is malformed", in, out)
		}
		server := out[strings.IndexByte(out, '@')+1:]
		switch server {
		case ServerUser, ServerGroup, ServerLID, ServerNewsletter, ServerBroadcast:
		default:
			t.Fatalf("Normalize(%q) = %q has unknown server", in, out)
		}
		if !strings.Contains(in, "@") {
			if d, err := PhoneDigits(in); err != nil || d+"@"+ServerUser != out {
				t.Fatalf("phone %q: digits %q (%v) disagree with %q", in, d, err, out)
			}
		}
	})
}
