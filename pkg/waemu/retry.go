package waemu

import (
	"context"
	"fmt"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// resend answers a client's retry receipt for a message this phone sent:
// it drops the Signal session with that device and encrypts the message
// again (pairwise, also for group messages), as a real phone does.
func (p *Phone) resend(ctx context.Context, dev, chat types.JID, id string) error {
	p.mu.Lock()
	msg := p.sent[id].msg
	p.mu.Unlock()
	if msg == nil {
		return fmt.Errorf("sent message %s: %w", id, ErrNotFound)
	}
	plaintext, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("marshal message: %w", err)
	}
	p.cryptoMu.Lock()
	_ = p.signal.DeleteSession(ctx, dev.SignalAddress())
	p.cryptoMu.Unlock()
	typ, encAttrs := stanzaType(msg)
	attrs := waBinary.Attrs(p.srv.chatAttrs(waBinary.Attrs{"id": id, "t": unixNow(), "type": typ, "notify": p.name}, p.jid))
	if chat.Server == types.GroupServer {
		sender, senderAlt := p.srv.groupIdentity(p.jid)
		attrs = waBinary.Attrs{"from": chat, "participant": sender, p.srv.altAttr("participant"): senderAlt,
			"addressing_mode": p.srv.groupAddressing(), "id": id, "t": unixNow(), "type": typ, "notify": p.name}
	}
	if edit := editAttr(msg); edit != "" {
		attrs["edit"] = edit
	}
	return p.sendEnc(ctx, dev, plaintext, attrs, encAttrs)
}
