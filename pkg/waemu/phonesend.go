package waemu

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// NewMessageID returns a message id in the style phones use.
func NewMessageID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "3A" + strings.ToUpper(hex.EncodeToString(b))
}

// SendMessage encrypts msg for every device of the recipient (a user or a
// group) and delivers it; own linked devices get a device-sent copy.
// It returns the message id.
func (p *Phone) SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message) (string, error) {
	id := NewMessageID()
	if err := p.SendMessageWithID(ctx, to, id, msg); err != nil {
		return "", err
	}
	return id, nil
}

// SendMessageWithID is SendMessage with a caller-chosen id.
func (p *Phone) SendMessageWithID(ctx context.Context, to types.JID, id string, msg *waE2E.Message) error {
	plaintext, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("marshal message: %w", err)
	}
	now := time.Now()
	p.mu.Lock()
	if p.sent == nil {
		p.sent = map[string]sentMessage{}
	}
	p.sent[id] = sentMessage{msg: msg, chat: to, t: now}
	p.mu.Unlock()
	if to.Server == types.GroupServer {
		return p.sendGroup(ctx, to, id, now, msg, plaintext)
	}
	q := p.srv.phoneForUser(to)
	if q == nil {
		return fmt.Errorf("recipient %s: %w", to, ErrNotFound)
	}
	typ, encAttrs := stanzaType(msg)
	attrs := waBinary.Attrs(p.srv.chatAttrs(waBinary.Attrs{"id": id, "t": unixAt(now), "type": typ, "notify": p.name}, p.jid))
	if edit := editAttr(msg); edit != "" {
		attrs["edit"] = edit
	}
	for _, dev := range q.Devices() {
		if err := p.sendEnc(ctx, dev, plaintext, attrs, encAttrs); err != nil {
			return err
		}
	}
	if q != p {
		q.record(toReceived(id, p.jid, p.jid, now, msg))
		p.srv.sendReceiptIDs(q, p.jid, types.EmptyJID, "", []string{id})
	}
	dsm, err := proto.Marshal(&waE2E.Message{DeviceSentMessage: &waE2E.DeviceSentMessage{
		DestinationJID: proto.String(q.jid.String()), Message: msg,
	}})
	if err != nil {
		return fmt.Errorf("marshal device sent message: %w", err)
	}
	for _, dev := range p.Devices() {
		if q == p {
			break
		}
		if err := p.sendEnc(ctx, dev, dsm, waBinary.Attrs{
			"from": p.jid, "id": id, "t": unixAt(now), "type": typ, "recipient": q.jid,
		}, encAttrs); err != nil {
			return err
		}
	}
	return nil
}

// sendEnc encrypts plaintext for one linked device and delivers it.
func (p *Phone) sendEnc(ctx context.Context, dev types.JID, plaintext []byte, attrs, encAttrs waBinary.Attrs) error {
	ct, encType, err := p.encryptFor(ctx, dev, plaintext)
	if err != nil {
		return err
	}
	p.logEnc("out", encType)
	enc := waBinary.Node{Tag: "enc", Attrs: waBinary.Attrs{"v": "2", "type": encType}, Content: ct}
	for k, v := range encAttrs {
		enc.Attrs[k] = v
	}
	p.srv.deliver(dev, waBinary.Node{Tag: "message", Attrs: attrs, Content: []waBinary.Node{enc}})
	return nil
}

// editAttr is the stanza "edit" attribute for edits and revokes.
func editAttr(msg *waE2E.Message) string {
	if inner := msg.GetEditedMessage().GetMessage(); inner != nil {
		msg = inner
	}
	pm := msg.GetProtocolMessage()
	if pm == nil {
		return ""
	}
	switch {
	case pm.GetType() == waE2E.ProtocolMessage_REVOKE && pm.GetKey().GetFromMe():
		return string(types.EditAttributeSenderRevoke)
	case pm.GetType() == waE2E.ProtocolMessage_REVOKE:
		return string(types.EditAttributeAdminRevoke)
	case pm.GetType() == waE2E.ProtocolMessage_MESSAGE_EDIT:
		return string(types.EditAttributeMessageEdit)
	}
	return ""
}

// stanzaType returns the message stanza type and extra enc attributes.
func stanzaType(msg *waE2E.Message) (string, waBinary.Attrs) {
	encAttrs := waBinary.Attrs{}
	m := unwrap(msg)
	switch {
	case m.ReactionMessage != nil:
		return "reaction", encAttrs
	case m.PollCreationMessage != nil, m.PollCreationMessageV3 != nil, m.PollUpdateMessage != nil:
		return "poll", encAttrs
	case m.ImageMessage != nil:
		encAttrs["mediatype"] = "image"
	case m.VideoMessage != nil:
		encAttrs["mediatype"] = "video"
	case m.AudioMessage != nil:
		encAttrs["mediatype"] = "audio"
	case m.DocumentMessage != nil:
		encAttrs["mediatype"] = "document"
	case m.StickerMessage != nil:
		encAttrs["mediatype"] = "sticker"
	case m.LocationMessage != nil:
		encAttrs["mediatype"] = "location"
	case m.ContactMessage != nil:
		encAttrs["mediatype"] = "vcard"
	default:
		return "text", encAttrs
	}
	return "media", encAttrs
}
