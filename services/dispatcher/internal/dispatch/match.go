package dispatch

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
)

// webhookTypePrefix marks the dispatcher's own events (delivery outcomes,
// endpoint disabled).
const webhookTypePrefix = "webhook."

// eventRef is what routing needs to know about an event.
type eventRef struct {
	ID      string
	Tenant  string
	Session string
	Type    events.Type
	About   string // for webhook.* events: the webhook they are about
}

// Matches reports whether w subscribes to the event. To prevent delivery
// loops, webhook.* events go only to webhooks that list the exact type name
// (globs such as "*" or "webhook.*" never match them) and never to the
// webhook they are about. A session filter applies to session events only;
// tenant-level events pass it.
func Matches(w *control.Webhook, e eventRef) bool {
	if !w.Enabled || w.Tenant != e.Tenant {
		return false
	}
	if e.Session != "" && len(w.Sessions) > 0 && !slices.Contains(w.Sessions, e.Session) {
		return false
	}
	if strings.HasPrefix(string(e.Type), webhookTypePrefix) {
		return e.About != w.ID && slices.Contains(w.Events, string(e.Type))
	}
	return events.MatchAny(w.Events, e.Type)
}

// refOf reads the routing facts of an event message from its subject and
// headers, decoding the body only for webhook.* events (to learn "about").
func refOf(m jetstream.Msg) (eventRef, error) {
	tenant, session, typ, err := events.ParseSubject(m.Subject())
	if err != nil {
		return eventRef{}, err
	}
	ref := eventRef{ID: m.Headers().Get(jetstream.MsgIDHeader), Tenant: tenant, Session: session, Type: typ}
	if ref.ID != "" && !strings.HasPrefix(string(typ), webhookTypePrefix) {
		return ref, nil
	}
	var partial struct {
		ID   string `json:"id"`
		Data struct {
			Webhook string `json:"webhook"`
		} `json:"data"`
	}
	if err := json.Unmarshal(m.Data(), &partial); err != nil {
		return eventRef{}, fmt.Errorf("decode event on %s: %w", m.Subject(), err)
	}
	if ref.ID == "" {
		ref.ID = partial.ID
	}
	if ref.ID == "" {
		return eventRef{}, fmt.Errorf("event on %s has no id", m.Subject())
	}
	ref.About = partial.Data.Webhook
	return ref, nil
}
