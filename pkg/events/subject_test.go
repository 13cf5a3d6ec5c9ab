package events

import (
	"strings"
	"testing"

	"github.com/wamesh/wamesh/pkg/ids"
)

func TestSubject(t *testing.T) {
	t.Parallel()
	s, err := Subject("t1", "s1", MessageReceived)
	if err != nil || s != "wamesh.events.t1.s1.message.received" {
		t.Fatalf("Subject = %q, %v", s, err)
	}
	s, err = Subject("t1", "", WebhookFailed)
	if err != nil || s != "wamesh.events.t1._.webhook.delivery.failed" {
		t.Fatalf("tenant-level Subject = %q, %v", s, err)
	}
	for _, bad := range [][3]string{
		{"t.1", "s1", "message.sent"},
		{"t1", "s*", "message.sent"},
		{"t1", "s1", "Message.sent"},
		{"t1", "s1", "message..sent"},
		{"t1", "s1", ""},
		{"t1", "4915112345678@s.whatsapp.net", "message.sent"},
	} {
		if _, err := Subject(bad[0], bad[1], Type(bad[2])); err == nil {
			t.Errorf("Subject%v accepted", bad)
		}
	}
	tenant, session, typ, err := ParseSubject("wamesh.events.t1.s1.message.received")
	if err != nil || tenant != "t1" || session != "s1" || typ != MessageReceived {
		t.Fatalf("ParseSubject = %q %q %q %v", tenant, session, typ, err)
	}
	if _, _, _, err := ParseSubject("wamesh.events.t1.s1"); err == nil {
		t.Fatal("ParseSubject accepted a subject without type")
	}
	if got := FilterSubject("t1", "", "message.*"); got != "wamesh.events.t1.*.message.>" {
		t.Fatalf("FilterSubject = %q", got)
	}
	if got := FilterSubject("t1", "s1", ""); got != "wamesh.events.t1.s1.>" {
		t.Fatalf("FilterSubject = %q", got)
	}
}

func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{
		"wamesh.events.t1.s1.message.received", "wamesh.events.t1._.webhook.disabled",
		"wamesh.events..s1.x", "wamesh.events.t1.s1.", "wamesh.cmd.1.s1", "wamesh.events.t1.s1.a..b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tenant, session, typ, err := ParseSubject(s)
		if err != nil {
			return
		}
		if !ids.Valid(tenant) || (session != "" && !ids.Valid(session)) {
			t.Fatalf("ParseSubject(%q) returned invalid ids %q %q", s, tenant, session)
		}
		if strings.ContainsAny(string(typ), "*> \t") {
			t.Fatalf("ParseSubject(%q) returned wildcard type %q", s, typ)
		}
		again, err := Subject(tenant, session, typ)
		if err != nil || again != s {
			t.Fatalf("Subject(ParseSubject(%q)) = %q, %v", s, again, err)
		}
	})
}

func FuzzSubjectRoundTrip(f *testing.F) {
	f.Add("t1", "s1", "message.received")
	f.Add("T_-9", "", "session.qr")
	f.Fuzz(func(t *testing.T, tenant, session, typ string) {
		s, err := Subject(tenant, session, Type(typ))
		if err != nil {
			return
		}
		gt, gs, gtyp, err := ParseSubject(s)
		if err != nil || gt != tenant || gs != session || string(gtyp) != typ {
			t.Fatalf("round trip of (%q,%q,%q) via %q gave (%q,%q,%q) %v", tenant, session, typ, s, gt, gs, gtyp, err)
		}
	})
}
