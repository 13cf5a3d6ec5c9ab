// Package ingest turns CloudEvents from WAMESH_EVENTS into store batches and
// runs the durable "history" consumer that writes them.
package ingest

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// ErrPoison marks an event that can never be stored (malformed envelope or
// payload); the consumer terminates it instead of retrying.
var ErrPoison = errors.New("poison event")

// Options shape what is stored.
type Options struct {
	// Passthrough stores metadata only: no message bodies, captions,
	// locations, contact cards, poll texts or raw event payloads.
	Passthrough bool
}

// Add decodes raw (one CloudEvent as published) and adds its rows to b.
// It returns an ErrPoison error for input that can never be stored; b is
// unchanged then.
func Add(b *store.Batch, raw []byte, opt Options) error {
	ev, err := decodeEvent(raw)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPoison, err)
	}
	return AddEvent(b, ev, opt)
}

// fastJSON decodes like encoding/json, about twice as fast; decoding is a
// fifth of the consumer's CPU.
var fastJSON = jsoniter.ConfigCompatibleWithStandardLibrary

// decodeEvent is events.Decode on fastJSON, with the same checks.
func decodeEvent(raw []byte) (events.Event, error) {
	var e events.Event
	if err := fastJSON.Unmarshal(raw, &e); err != nil {
		return events.Event{}, fmt.Errorf("%w: %w", events.ErrMalformed, err)
	}
	switch {
	case e.SpecVersion != events.SpecVersion:
		return events.Event{}, fmt.Errorf("%w: specversion %q", events.ErrMalformed, e.SpecVersion)
	case e.ID == "":
		return events.Event{}, fmt.Errorf("%w: missing id", events.ErrMalformed)
	case e.EventType() == "":
		return events.Event{}, fmt.Errorf("%w: type %q is not a wamesh type", events.ErrMalformed, e.Type)
	case !ids.Valid(e.Tenant):
		return events.Event{}, fmt.Errorf("%w: tenant %q", events.ErrMalformed, e.Tenant)
	}
	return e, nil
}

// AddEvent adds the rows of a decoded event to b. On error b is
// unchanged: every builder decodes and checks the whole payload before it
// adds a row (TestAddPoisonLeavesBatch).
func AddEvent(b *store.Batch, ev events.Event, opt Options) error {
	if err := addDerived(b, ev, opt); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrPoison, ev.Type, ev.ID, err)
	}
	row := store.EventRow{Tenant: ev.Tenant, ID: ev.ID, Session: ev.Session, Type: string(ev.EventType()),
		Subject: clean(ev.Subject), TS: store.Micros(ev.Time)}
	if !opt.Passthrough {
		row.Data = ptr(validJSON(ev.Data))
	}
	b.AddEvent(row)
	return nil
}

// merge moves the rows of src into dst through dst's merging adders.
func merge(dst, src *store.Batch) {
	for _, r := range src.Messages {
		dst.AddMessage(*r)
	}
	for _, r := range src.Statuses {
		dst.AddStatus(r)
	}
	for _, r := range src.Edits {
		dst.AddEdit(r)
	}
	for _, r := range src.Reactions {
		dst.AddReaction(*r)
	}
	for _, r := range src.Votes {
		dst.AddVote(*r)
	}
	for _, r := range src.Chats {
		dst.AddChat(*r)
	}
	for _, r := range src.Contacts {
		dst.AddContact(*r)
	}
	for _, r := range src.Groups {
		dst.AddGroup(*r)
	}
	for _, r := range src.Deliveries {
		dst.AddDelivery(r)
	}
	for _, r := range src.Members {
		dst.AddMember(*r)
	}
	for _, r := range src.ReadMarks {
		dst.AddReadMark(r)
	}
}

// addDerived adds the model rows of ev; unknown and metadata-free types
// (presence, calls, session lifecycle) add none. It adds nothing when it
// returns an error.
func addDerived(b *store.Batch, ev events.Event, opt Options) error {
	switch t := ev.EventType(); t {
	case events.MessageReceived, events.MessageSent:
		return addMessage(b, ev, t == events.MessageSent, opt)
	case events.MessageFailed:
		return addFailed(b, ev, opt)
	case events.MessageDelivered:
		return addReceipt(b, ev, store.RankDelivered)
	case events.MessageRead:
		return addReceipt(b, ev, store.RankRead)
	case events.MessagePlayed:
		return addReceipt(b, ev, store.RankPlayed)
	case events.MessageEdited:
		return addEdit(b, ev, opt)
	case events.MessageRevoked:
		return addRevoke(b, ev)
	case events.PollVote:
		return addPollVote(b, ev, opt)
	case events.MessageReaction:
		return addReaction(b, ev)
	case events.MediaStored:
		return addMediaStored(b, ev)
	case events.WebhookSucceeded, events.WebhookAttemptFailed, events.WebhookFailed:
		return addDelivery(b, ev)
	default:
		return addOther(b, ev, opt)
	}
}

func decode[T any](ev events.Event) (T, error) {
	var v T
	if len(ev.Data) == 0 || string(ev.Data) == "null" {
		return v, errors.New("missing data")
	}
	if err := fastJSON.Unmarshal(ev.Data, &v); err != nil {
		return v, fmt.Errorf("decode payload: %w", err)
	}
	return v, nil
}

func required(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == "" {
			return fmt.Errorf("missing %s", fields[i])
		}
	}
	return nil
}

// clean makes user text storable everywhere: valid UTF-8, no NUL bytes
// (Postgres text refuses both).
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// validJSON returns raw as a string that Postgres accepts as text.
func validJSON(raw []byte) string {
	if utf8.Valid(raw) {
		return string(raw)
	}
	return strings.ToValidUTF8(string(raw), "\uFFFD")
}

func ptr[T any](v T) *T { return &v }

// isGroup reports whether a chat JID is a group.
func isGroup(jid string) bool { return strings.HasSuffix(jid, "@g.us") }

// phoneOf returns the digits of a phone-number JID ("" for others).
func phoneOf(jid string) string {
	user, server, ok := strings.Cut(jid, "@")
	if !ok || server != "s.whatsapp.net" {
		return ""
	}
	user, _, _ = strings.Cut(user, ":")
	return user
}
