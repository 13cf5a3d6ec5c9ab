package events

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestAppendJSONMatchesEncodingJSON: the hand-written encoder writes the
// very bytes encoding/json does, for plain and awkward strings and times.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	berlin := time.FixedZone("CET", 3600)
	data, _ := json.Marshal(map[string]any{"text": "a<b & \"c\" \u2028 ü", "n": 1})
	cases := []Event{
		{SpecVersion: SpecVersion, ID: "id", Source: "/wamesh/sessions/s1", Type: "wamesh.message.received", Time: time.Date(2026, 11, 21, 10, 0, 0, 123456789, time.UTC), DataContentType: "application/json", Tenant: "t1", Session: "s1", Data: data},
		{SpecVersion: SpecVersion, ID: "3EB0<>&\"\\\x01é\xff", Source: "/x", Type: "wamesh.webhook.disabled", Subject: "491@s.whatsapp.net", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, berlin), DataContentType: "application/json", Tenant: "t1", Session: "s", TraceParent: "00-abc-def-01", Data: json.RawMessage(`{"webhook":"w"}`)},
		{Time: time.Time{}},
		{ID: "x", Time: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "odd zone", Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 30*3600))},
		{ID: "sub-minute zone", Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3601))},
		// Data as someone else wrote it: not compact, raw HTML characters.
		{ID: "raw data", Data: json.RawMessage("{\"a\": \"<b> & \u2028\",\n \"n\": [1, 2]}\n")},
	}
	// A field added to Event must be set in cases[1], so the comparison
	// fails until appendJSON writes it too.
	v := reflect.ValueOf(cases[1])
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("cases[1] leaves %s unset", v.Type().Field(i).Name)
		}
	}
	for _, e := range cases {
		want, wantErr := json.Marshal(e)
		got, err := e.appendJSON(nil)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("appendJSON(%+v) error %v, json.Marshal error %v", e, err, wantErr)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("appendJSON:\n got %s\nwant %s", got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\"", "tab\t", "<script>", "\u2028", "\xff", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestMessageRefusesInvalidData(t *testing.T) {
	t.Parallel()
	e := Event{SpecVersion: SpecVersion, ID: "x", Type: MessageReceived.CEType(), Tenant: "t1", Session: "s1", Data: json.RawMessage(`{"a":`)}
	if _, err := Message(e); err == nil {
		t.Error("Message with invalid data: no error")
	}
}

func TestWebhookDeliveryDataAppendJSON(t *testing.T) {
	t.Parallel()
	next := time.Date(2026, 11, 21, 10, 0, 0, 5, time.UTC)
	full := WebhookDeliveryData{Webhook: "w", DeliveryID: "d", EventID: "<e>", EventType: "x", Session: "s1", Attempt: 3, StatusCode: 503, LatencyMS: -1,
		Error: `Post "http://x": dial tcp: refused`, ResponseSnippet: "<html>\n\tü\xff</html>", NextAttemptAt: &next}
	// A field added to the type must be set here, so the comparison
	// below fails until AppendJSON writes it too.
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("test value leaves %s unset", v.Type().Field(i).Name)
		}
	}
	for _, d := range []WebhookDeliveryData{
		{},
		{Webhook: "w", DeliveryID: "d", EventID: "e", EventType: "message.received", Attempt: 1, StatusCode: 200, LatencyMS: 12},
		full,
	} {
		want, _ := json.Marshal(d)
		if got, err := d.appendJSON(nil); err != nil || !bytes.Equal(got, want) {
			t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
		}
	}
}

func FuzzEventJSON(f *testing.F) {
	for _, d := range []string{`{}`, `{"a": "<b>"}`, "[1,\n2]", `"\u2028"`, `null`, `{"t":"ü & é"}`} {
		f.Add("id", d)
	}
	f.Fuzz(func(t *testing.T, id, data string) {
		if !json.Valid([]byte(data)) {
			return
		}
		e := Event{SpecVersion: SpecVersion, ID: id, Type: "wamesh.message.received", Time: time.Unix(1700000000, 5).UTC(), Tenant: "t1", Data: json.RawMessage(data)}
		want, err := json.Marshal(e)
		if err != nil {
			t.Skip()
		}
		got, err := e.appendJSON(nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("appendJSON = %s, %v\nwant %s", got, err, want)
		}
	})
}
