package ids

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

var reference = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func TestValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"s1", true},
		{"Tenant_A-01", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"a.b", false},
		{"a*", false},
		{"a>", false},
		{"a b", false},
		{"4915112345678@s.whatsapp.net", false},
		{"ü", false},
	}
	for _, tt := range tests {
		if got := Valid(tt.in); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.in, got, tt.want)
		}
		err := Validate("session", tt.in)
		if (err == nil) != tt.want {
			t.Errorf("Validate(%q) = %v, want ok=%v", tt.in, err, tt.want)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("Validate(%q) error %v does not wrap ErrInvalid", tt.in, err)
		}
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	a, b := New("wh"), New("wh")
	if a == b || !Valid(a) || !strings.HasPrefix(a, "wh_") {
		t.Fatalf("New gave %q and %q", a, b)
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range []string{"s1", "", "a.b", "*", ">", "a b", strings.Repeat("x", 65), "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Valid(s), reference.MatchString(s); got != want {
			t.Fatalf("Valid(%q) = %v, reference says %v", s, got, want)
		}
	})
}

func TestNewMessageID(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^3EB0[0-9A-F]{18}$`)
	a, b := NewMessageID(), NewMessageID()
	if a == b || !re.MatchString(a) || !Valid(a) {
		t.Fatalf("NewMessageID gave %q and %q", a, b)
	}
	if got := MediaObject("t1", "s1", "med_1"); got != "t1/s1/med_1" {
		t.Fatalf("MediaObject = %q", got)
	}
}
