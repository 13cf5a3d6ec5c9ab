package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"

	"github.com/wamesh/wamesh/pkg/ids"
)

// SpecVersion is the CloudEvents version of the envelope.
const SpecVersion = "1.0"

// Event is a CloudEvents 1.0 event in structured JSON mode, byte-compatible
// with github.com/cloudevents/sdk-go/v2 (proven by event_test.go).
type Event struct {
	SpecVersion     string          `json:"specversion"`           // always "1.0"
	ID              string          `json:"id"`                    // unique; deterministic for WhatsApp-originated events
	Source          string          `json:"source"`                // "/wamesh/sessions/<session>" or "/wamesh/<service>"
	Type            string          `json:"type"`                  // "wamesh.<catalog type>"
	Subject         string          `json:"subject,omitempty"`     // chat JID where there is one
	Time            time.Time       `json:"time"`                  // when it happened
	DataContentType string          `json:"datacontenttype"`       // always "application/json"
	Tenant          string          `json:"tenant"`                // extension: owning tenant
	Session         string          `json:"session,omitempty"`     // extension: session id, empty for tenant-level events
	TraceParent     string          `json:"traceparent,omitempty"` // extension: W3C trace context of the cause
	Data            json.RawMessage `json:"data"`                  // the typed payload of Type
}

var (
	// ErrMalformed is returned by Decode for bytes that are not a wamesh event.
	ErrMalformed = errors.New("malformed event")
)

// marshalData encodes a payload; the busiest types without reflection.
func marshalData(data any) ([]byte, error) {
	if d, ok := data.(WebhookDeliveryData); ok {
		return d.appendJSON(nil)
	}
	return json.Marshal(data)
}

// Meta holds the routing facts of a new event.
type Meta struct {
	Tenant  string // required
	Session string // optional; empty for tenant-level events (webhooks)
	Subject string // chat JID, optional
	ID      string // optional; a random id is used when empty
	Time    time.Time
	Source  string // optional; defaults to /wamesh/sessions/<session>
}

// New builds an event of type t carrying data. The trace context of ctx, if
// any, becomes the traceparent extension.
func New(ctx context.Context, t Type, m Meta, data any) (Event, error) {
	if err := ids.Validate("tenant", m.Tenant); err != nil {
		return Event{}, err
	}
	if m.Session != "" {
		if err := ids.Validate("session", m.Session); err != nil {
			return Event{}, err
		}
	}
	raw, err := marshalData(data)
	if err != nil {
		return Event{}, fmt.Errorf("marshal %s payload: %w", t, err)
	}
	ev := Event{
		SpecVersion:     SpecVersion,
		ID:              m.ID,
		Source:          m.Source,
		Type:            t.CEType(),
		Subject:         m.Subject,
		Time:            m.Time,
		DataContentType: "application/json",
		Tenant:          m.Tenant,
		Session:         m.Session,
		TraceParent:     TraceParent(ctx),
		Data:            raw,
	}
	if ev.ID == "" {
		ev.ID = uuid.NewString()
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	if ev.Source == "" {
		ev.Source = "/wamesh/sessions/" + m.Session
		if m.Session == "" {
			ev.Source = "/wamesh/tenants/" + m.Tenant
		}
	}
	return ev, nil
}

// EventType returns the catalog type of the event ("" if it is not a wamesh type).
func (e Event) EventType() Type {
	t, _ := TypeFromCE(e.Type)
	return t
}

// Subject returns the NATS subject the event is published on.
func (e Event) NATSSubject() (string, error) {
	return Subject(e.Tenant, e.Session, e.EventType())
}

// Decode parses a structured-mode CloudEvent and checks the attributes wamesh relies on.
func Decode(b []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	switch {
	case e.SpecVersion != SpecVersion:
		return Event{}, fmt.Errorf("%w: specversion %q", ErrMalformed, e.SpecVersion)
	case e.ID == "":
		return Event{}, fmt.Errorf("%w: missing id", ErrMalformed)
	case e.EventType() == "":
		return Event{}, fmt.Errorf("%w: type %q is not a wamesh type", ErrMalformed, e.Type)
	case !ids.Valid(e.Tenant):
		return Event{}, fmt.Errorf("%w: tenant %q", ErrMalformed, e.Tenant)
	}
	return e, nil
}

// DecodeData unmarshals the payload of e into T.
func DecodeData[T any](e Event) (T, error) {
	var v T
	if err := json.Unmarshal(e.Data, &v); err != nil {
		return v, fmt.Errorf("decode %s payload: %w", e.Type, err)
	}
	return v, nil
}

// DeriveID returns a deterministic event id from its parts (session, WhatsApp
// message id, kind...), so a redelivered WhatsApp event gets the same id and
// JetStream drops the duplicate.
func DeriveID(parts ...string) string {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	return uuid.NewSHA1(idNamespace, b).String()
}

var idNamespace = uuid.MustParse("6f0a3c52-9d3e-4f6b-8a39-3e2a8d4f1b70")

// TraceParent formats the span context of ctx as a W3C traceparent, or "".
func TraceParent(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return fmt.Sprintf("00-%s-%s-%s", sc.TraceID(), sc.SpanID(), sc.TraceFlags())
}
