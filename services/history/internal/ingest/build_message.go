package ingest

import (
	"encoding/json"
	"fmt"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

func addMessage(b *store.Batch, ev events.Event, sent bool, opt Options) error {
	m, err := decode[events.MessageData](ev)
	if err != nil {
		return err
	}
	if err := required("id", m.ID, "chat", m.Chat); err != nil {
		return err
	}
	noTS := m.Timestamp.IsZero()
	if noTS {
		m.Timestamp = ev.Time
	}
	data := validJSON(ev.Data)
	if opt.Passthrough || noTS {
		data, err = messageJSON(m, opt.Passthrough)
		if err != nil {
			return err
		}
	}
	ts := store.Micros(m.Timestamp)
	row := store.MessageRow{Tenant: ev.Tenant, Session: ev.Session, ID: clean(m.ID), Chat: clean(m.Chat),
		Sender: clean(m.Sender), FromMe: m.FromMe || sent, Type: clean(string(m.Type)), TS: ts, Data: &data}
	if sent {
		row.Status = store.RankSent
		b.AddStatus(store.StatusRow{Tenant: ev.Tenant, Session: ev.Session, MessageID: row.ID, Status: store.RankSent, TS: ts})
	}
	if m.Media != nil && m.Media.MediaID != "" {
		row.MediaID = clean(m.Media.MediaID)
	}
	b.AddMessage(row)
	typ := messageChatType(m)
	b.AddChat(store.ChatRow{Tenant: ev.Tenant, Session: ev.Session, JID: row.Chat, Type: typ, LastTS: ts, LastID: row.ID})
	addMessageContacts(b, ev, m, typ)
	return nil
}

// messageChatType is the type of the chat a message belongs to.
func messageChatType(m events.MessageData) string {
	if m.IsGroup {
		return "group"
	}
	return chatType(m.Chat)
}

// addMessageContacts learns the sender (and a direct chat's LID).
func addMessageContacts(b *store.Batch, ev events.Event, m events.MessageData, typ string) {
	if !m.FromMe && m.Sender != "" {
		b.AddContact(store.ContactRow{Tenant: ev.Tenant, Session: ev.Session, JID: clean(m.Sender),
			LID: clean(m.SenderLID), Phone: phoneOf(m.Sender), PushName: clean(m.PushName)})
	}
	if typ == "direct" && m.ChatLID != "" {
		b.AddContact(store.ContactRow{Tenant: ev.Tenant, Session: ev.Session, JID: clean(m.Chat),
			LID: clean(m.ChatLID), Phone: phoneOf(m.Chat)})
	}
}

// messageJSON encodes m, without bodies in pass-through mode.
func messageJSON(m events.MessageData, passthrough bool) (string, error) {
	if passthrough {
		m.Text, m.Caption, m.Location, m.Contacts, m.Poll, m.PushName = "", "", nil, nil, nil, ""
		if m.Media != nil {
			media := *m.Media
			media.FileName = ""
			m.Media = &media
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode message: %w", err)
	}
	return string(b), nil
}

func addFailed(b *store.Batch, ev events.Event, opt Options) error {
	f, err := decode[events.MessageFailedData](ev)
	if err != nil {
		return err
	}
	if err := required("id", f.ID); err != nil {
		return err
	}
	reason := clean(f.Code + ": " + f.Reason)
	row := store.MessageRow{Tenant: ev.Tenant, Session: ev.Session, ID: clean(f.ID), Chat: clean(f.Chat),
		FromMe: true, Status: store.RankFailed, Error: reason}
	if m := f.Message; m != nil && clean(m.ID) == row.ID && m.Chat != "" {
		// A send that never reached WhatsApp: listed with its content (a
		// message.sent for the same id, if any, replaces it).
		if m.Timestamp.IsZero() {
			m.Timestamp = ev.Time
		}
		data, err := messageJSON(*m, opt.Passthrough)
		if err != nil {
			return err
		}
		row.Chat, row.Type, row.TS, row.Data = clean(m.Chat), clean(string(m.Type)), store.Micros(m.Timestamp), &data
		b.AddChat(store.ChatRow{Tenant: ev.Tenant, Session: ev.Session, JID: row.Chat, Type: messageChatType(*m), LastTS: row.TS, LastID: row.ID})
	}
	b.AddMessage(row)
	b.AddStatus(store.StatusRow{Tenant: ev.Tenant, Session: ev.Session, MessageID: clean(f.ID),
		Status: store.RankFailed, TS: store.Micros(ev.Time)})
	return nil
}

func addReceipt(b *store.Batch, ev events.Event, rank int) error {
	r, err := decode[events.ReceiptData](ev)
	if err != nil {
		return err
	}
	if len(r.IDs) == 0 {
		return fmt.Errorf("missing ids")
	}
	ts := at(r.Timestamp, ev.Time)
	for _, id := range r.IDs {
		if id == "" {
			continue
		}
		b.AddMessage(store.MessageRow{Tenant: ev.Tenant, Session: ev.Session, ID: clean(id), Chat: clean(r.Chat), Status: rank})
		b.AddStatus(store.StatusRow{Tenant: ev.Tenant, Session: ev.Session, MessageID: clean(id),
			Recipient: clean(r.Recipient), Status: rank, TS: ts})
	}
	return nil
}

func addEdit(b *store.Batch, ev events.Event, opt Options) error {
	e, err := decode[events.MessageEditedData](ev)
	if err != nil {
		return err
	}
	if err := required("id", e.ID); err != nil {
		return err
	}
	ts := e.Timestamp
	if ts.IsZero() {
		ts = ev.Time
	}
	text := clean(e.Text)
	if opt.Passthrough {
		text = ""
	}
	id := clean(e.ID)
	b.AddEdit(store.EditRow{Tenant: ev.Tenant, Session: ev.Session, MessageID: id, TS: store.Micros(ts), Text: text})
	b.AddMessage(store.MessageRow{Tenant: ev.Tenant, Session: ev.Session, ID: id, Chat: clean(e.Chat),
		EditTS: store.Micros(ts), EditText: text})
	return nil
}

func addRevoke(b *store.Batch, ev events.Event) error {
	r, err := decode[events.MessageRevokedData](ev)
	if err != nil {
		return err
	}
	if err := required("id", r.ID); err != nil {
		return err
	}
	b.AddMessage(store.MessageRow{Tenant: ev.Tenant, Session: ev.Session, ID: clean(r.ID), Chat: clean(r.Chat), Revoked: true})
	return nil
}

func addReaction(b *store.Batch, ev events.Event) error {
	r, err := decode[events.ReactionData](ev)
	if err != nil {
		return err
	}
	if err := required("targetId", r.TargetID, "sender", r.Sender); err != nil {
		return err
	}
	target := clean(r.TargetID)
	b.AddReaction(store.ReactionRow{Tenant: ev.Tenant, Session: ev.Session, MessageID: target,
		Sender: clean(r.Sender), Emoji: clean(r.Emoji), TS: at(r.Timestamp, ev.Time)})
	b.AddMessage(store.MessageRow{Tenant: ev.Tenant, Session: ev.Session, ID: target, Chat: clean(r.Chat), HasReactions: true})
	return nil
}

// addPollVote records a voter's current selection; it is attached to the
// poll when the poll is read, whether the poll arrived before or after.
// Pass-through mode keeps no votes: the options are the poll's texts.
func addPollVote(b *store.Batch, ev events.Event, opt Options) error {
	v, err := decode[events.PollVoteData](ev)
	if err != nil {
		return err
	}
	if err := required("pollId", v.PollID, "sender", v.Sender); err != nil {
		return err
	}
	if opt.Passthrough {
		return nil
	}
	options := make([]string, 0, len(v.Options))
	for _, o := range v.Options {
		options = append(options, clean(o))
	}
	raw, err := fastJSON.MarshalToString(options)
	if err != nil {
		return err
	}
	b.AddVote(store.VoteRow{Tenant: ev.Tenant, Session: ev.Session, PollID: clean(v.PollID), Sender: clean(v.Sender),
		Options: raw, TS: at(v.Timestamp, ev.Time)})
	return nil
}

func addMediaStored(b *store.Batch, ev events.Event) error {
	m, err := decode[events.MediaStoredData](ev)
	if err != nil {
		return err
	}
	if err := required("messageId", m.MessageID, "mediaId", m.MediaID); err != nil {
		return err
	}
	b.AddMessage(store.MessageRow{Tenant: ev.Tenant, Session: ev.Session, ID: clean(m.MessageID),
		Chat: clean(m.Chat), MediaID: clean(m.MediaID)})
	return nil
}

func addDelivery(b *store.Batch, ev events.Event) error {
	d, err := decode[events.WebhookDeliveryData](ev)
	if err != nil {
		return err
	}
	if err := required("webhook", d.Webhook); err != nil {
		return err
	}
	outcome := map[events.Type]string{
		events.WebhookSucceeded:     "succeeded",
		events.WebhookAttemptFailed: "attempt_failed",
		events.WebhookFailed:        "failed",
	}[ev.EventType()]
	b.AddDelivery(store.DeliveryRow{Tenant: ev.Tenant, EventID: ev.ID, Webhook: clean(d.Webhook),
		DeliveryID: clean(d.DeliveryID), Attempt: d.Attempt, Outcome: outcome, TS: store.Micros(ev.Time),
		Data: validJSON(ev.Data)})
	return nil
}
