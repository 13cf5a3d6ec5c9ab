package events

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/trace"
)

func sampleEvent(t *testing.T) Event {
	t.Helper()
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled,
	}))
	ev, err := New(ctx, MessageReceived, Meta{
		Tenant: "t1", Session: "s1", Subject: "4915112345678@s.whatsapp.net",
		ID:   DeriveID("s1", "3EB0ABC", "received"),
		Time: time.Date(2026, 11, 21, 10, 0, 0, 123000000, time.UTC),
	}, MessageData{ID: "3EB0ABC", Chat: "4915112345678@s.whatsapp.net", Type: TypeText, Text: "hallo"})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// Our JSON must be a valid structured-mode CloudEvent for the reference SDK,
// with every attribute and extension intact, and the SDK's JSON must decode
// back into our envelope unchanged.
func TestCloudEventsConformance(t *testing.T) {
	t.Parallel()
	ev := sampleEvent(t)
	if ev.TraceParent != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" {
		t.Fatalf("traceparent = %q", ev.TraceParent)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var ce cloudevents.Event
	if err := json.Unmarshal(b, &ce); err != nil {
		t.Fatalf("sdk cannot parse our event: %v\n%s", err, b)
	}
	if err := ce.Validate(); err != nil {
		t.Fatalf("sdk says invalid: %v", err)
	}
	checks := map[string][2]string{
		"id":              {ce.ID(), ev.ID},
		"source":          {ce.Source(), "/wamesh/sessions/s1"},
		"type":            {ce.Type(), "wamesh.message.received"},
		"subject":         {ce.Subject(), "4915112345678@s.whatsapp.net"},
		"specversion":     {ce.SpecVersion(), "1.0"},
		"datacontenttype": {ce.DataContentType(), "application/json"},
		"tenant":          {ce.Extensions()["tenant"].(string), "t1"},
		"session":         {ce.Extensions()["session"].(string), "s1"},
		"traceparent":     {ce.Extensions()["traceparent"].(string), ev.TraceParent},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s: sdk sees %q, want %q", name, c[0], c[1])
		}
	}
	if !ce.Time().Equal(ev.Time) {
		t.Errorf("time: sdk sees %v, want %v", ce.Time(), ev.Time)
	}
	var data MessageData
	if err := ce.DataAs(&data); err != nil || data.Text != "hallo" {
		t.Fatalf("data via sdk: %+v, %v", data, err)
	}

	// And back: the SDK's serialisation decodes into an equal envelope.
	sdkJSON, err := json.Marshal(ce)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(sdkJSON)
	if err != nil {
		t.Fatalf("Decode(sdk json): %v\n%s", err, sdkJSON)
	}
	if back.ID != ev.ID || back.Type != ev.Type || back.Tenant != ev.Tenant || back.Session != ev.Session ||
		back.TraceParent != ev.TraceParent || !back.Time.Equal(ev.Time) || back.Subject != ev.Subject {
		t.Fatalf("round trip through sdk changed the envelope:\n got %+v\nwant %+v", back, ev)
	}
	got, err := DecodeData[MessageData](back)
	if err != nil || got.Text != "hallo" || got.Type != TypeText {
		t.Fatalf("DecodeData = %+v, %v", got, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"not json":     `{`,
		"specversion":  `{"specversion":"0.3","id":"1","type":"wamesh.message.sent","tenant":"t1"}`,
		"missing id":   `{"specversion":"1.0","type":"wamesh.message.sent","tenant":"t1"}`,
		"foreign type": `{"specversion":"1.0","id":"1","type":"com.example.x","tenant":"t1"}`,
		"bad tenant":   `{"specversion":"1.0","id":"1","type":"wamesh.message.sent","tenant":"a.b"}`,
	} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("%s: Decode accepted %s", name, in)
		}
	}
}

func TestNewValidatesAndDefaults(t *testing.T) {
	t.Parallel()
	if _, err := New(context.Background(), MessageSent, Meta{Tenant: "t.1"}, nil); err == nil {
		t.Fatal("New accepted an invalid tenant")
	}
	if _, err := New(context.Background(), MessageSent, Meta{Tenant: "t1", Session: "s>"}, nil); err == nil {
		t.Fatal("New accepted an invalid session")
	}
	ev, err := New(context.Background(), WebhookDisabled, Meta{Tenant: "t1"}, WebhookDisabledData{Webhook: "wh_1"})
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID == "" || ev.Time.IsZero() || ev.Source != "/wamesh/tenants/t1" || ev.TraceParent != "" {
		t.Fatalf("defaults not applied: %+v", ev)
	}
}

func TestDeriveIDIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := DeriveID("s1", "ABC", "received"), DeriveID("s1", "ABC", "received")
	if a != b {
		t.Fatalf("same parts gave %s and %s", a, b)
	}
	// Part boundaries matter: ("s1A","BC") is not ("s1","ABC").
	if DeriveID("s1A", "BC", "received") == a || DeriveID("s1", "ABC", "sent") == a {
		t.Fatal("different parts gave the same id")
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		typ     Type
		want    bool
	}{
		{"*", MessageReceived, true},
		{"message.*", MessageReceived, true},
		{"message.*", SessionQR, false},
		{"message.received", MessageReceived, true},
		{"message.received", MessageSent, false},
		{"webhook.*", WebhookFailed, true},
		{"webhook.delivery.*", WebhookFailed, true},
		{"message", MessageReceived, false},
		{"messages.*", MessageReceived, false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.typ); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.typ, got, tt.want)
		}
	}
	if !MatchAny(nil, SessionQR) || MatchAny([]string{"message.*"}, SessionQR) {
		t.Fatal("MatchAny")
	}
	for _, c := range Catalog {
		if !Known(c) || !validType(string(c)) {
			t.Errorf("catalog type %q is not a valid subject type", c)
		}
	}
}

func TestWebhookPattern(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]bool{
		"*": true, "message.*": true, "message.>": true, string(MessageReceived): true,
		string(WebhookSucceeded): true, "webhook.*": false, "webhook.delivery.*": false,
		"mesage.received": false, "nothing.*": false, "": false,
	} {
		if got := WebhookPattern(p); got != want {
			t.Errorf("WebhookPattern(%q) = %v, want %v", p, got, want)
		}
	}
}
