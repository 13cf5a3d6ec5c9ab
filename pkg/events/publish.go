package events

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// HeaderTraceParent carries the W3C trace context on NATS messages.
const HeaderTraceParent = "traceparent"

// Message turns an event into a NATS message on its subject with
// Nats-Msg-Id = event id (JetStream dedup) and the traceparent header.
func Message(e Event) (*nats.Msg, error) {
	subj, err := e.NATSSubject()
	if err != nil {
		return nil, err
	}
	if len(e.Data) > 0 && !json.Valid(e.Data) {
		return nil, fmt.Errorf("marshal event: %w: data is not valid JSON", ErrMalformed)
	}
	body, err := e.appendJSON(make([]byte, 0, 256+len(e.Data)))
	if err != nil {
		return nil, fmt.Errorf("marshal event: %w", err)
	}
	msg := nats.NewMsg(subj)
	msg.Data = body
	msg.Header.Set(jetstream.MsgIDHeader, e.ID)
	if e.TraceParent != "" {
		msg.Header.Set(HeaderTraceParent, e.TraceParent)
	}
	return msg, nil
}

// Publish stores the event in WAMESH_EVENTS and waits for the stream's ack.
// A duplicate (same id within the dedup window) is acknowledged without being
// stored twice; ack.Duplicate tells.
func Publish(ctx context.Context, js jetstream.JetStream, e Event) (*jetstream.PubAck, error) {
	msg, err := Message(e)
	if err != nil {
		return nil, err
	}
	ack, err := js.PublishMsg(ctx, msg, jetstream.WithExpectStream(StreamName))
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", e.Type, err)
	}
	return ack, nil
}

// PublishNew builds an event with New and publishes it.
func PublishNew(ctx context.Context, js jetstream.JetStream, t Type, m Meta, data any) (Event, error) {
	e, err := New(ctx, t, m, data)
	if err != nil {
		return Event{}, err
	}
	if _, err := Publish(ctx, js, e); err != nil {
		return Event{}, err
	}
	return e, nil
}
