package waemu

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/util/gcmutil"
	"go.mau.fi/whatsmeow/util/hkdfutil"
	"google.golang.org/protobuf/proto"
)

// TextOptions add a quote and mentions to a text message.
type TextOptions struct {
	ReplyTo  string      // id of the quoted message
	Mentions []types.JID // users mentioned in the text
}

// SendText sends a plain text message.
func (p *Phone) SendText(ctx context.Context, to types.JID, text string) (string, error) {
	return p.SendMessage(ctx, to, &waE2E.Message{Conversation: proto.String(text)})
}

// SendTextWith sends a text that quotes an earlier message and/or mentions users.
func (p *Phone) SendTextWith(ctx context.Context, to types.JID, text string, opts TextOptions) (string, error) {
	ci := &waE2E.ContextInfo{}
	for _, m := range opts.Mentions {
		ci.MentionedJID = append(ci.MentionedJID, m.String())
	}
	if opts.ReplyTo != "" {
		quoted, sender, err := p.lookupMessage(to, opts.ReplyTo)
		if err != nil {
			return "", err
		}
		ci.StanzaID = proto.String(opts.ReplyTo)
		ci.Participant = proto.String(sender.String())
		ci.QuotedMessage = quoted
	}
	return p.SendMessage(ctx, to, &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
		Text: proto.String(text), ContextInfo: ci,
	}})
}

// lookupMessage finds a message in chat by id, received or sent by p.
func (p *Phone) lookupMessage(chat types.JID, id string) (*waE2E.Message, types.JID, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.inbox {
		if m.ID == id {
			return m.Raw, m.From, nil
		}
	}
	if sent, ok := p.sent[id]; ok {
		return sent.msg, p.jid, nil
	}
	return nil, types.EmptyJID, fmt.Errorf("message %s in %s: %w", id, chat, ErrNotFound)
}

// messageKey builds the key of message id in chat for reactions, edits and votes.
func (p *Phone) messageKey(chat types.JID, id string) (*waCommon.MessageKey, types.JID, error) {
	_, sender, err := p.lookupMessage(chat, id)
	if err != nil {
		return nil, sender, err
	}
	key := &waCommon.MessageKey{RemoteJID: proto.String(chat.String()), FromMe: proto.Bool(sender == p.jid), ID: proto.String(id)}
	if chat.Server == types.GroupServer {
		key.Participant = proto.String(sender.String())
	} else if sender != p.jid {
		key.RemoteJID = proto.String(sender.String())
	}
	return key, sender, nil
}

// React reacts to message id in chat with emoji ("" removes the reaction).
func (p *Phone) React(ctx context.Context, chat types.JID, id, emoji string) (string, error) {
	key, _, err := p.messageKey(chat, id)
	if err != nil {
		return "", err
	}
	return p.SendMessage(ctx, chat, &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{
		Key: key, Text: proto.String(emoji), SenderTimestampMS: proto.Int64(time.Now().UnixMilli()),
	}})
}

// Edit replaces the text of a message this phone sent.
func (p *Phone) Edit(ctx context.Context, chat types.JID, id, text string) (string, error) {
	key := &waCommon.MessageKey{RemoteJID: proto.String(chat.String()), FromMe: proto.Bool(true), ID: proto.String(id)}
	return p.SendMessage(ctx, chat, &waE2E.Message{EditedMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{
		ProtocolMessage: &waE2E.ProtocolMessage{
			Key: key, Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(),
			EditedMessage: &waE2E.Message{Conversation: proto.String(text)},
			TimestampMS:   proto.Int64(time.Now().UnixMilli()),
		},
	}}})
}

// Revoke deletes a message this phone sent for everyone.
func (p *Phone) Revoke(ctx context.Context, chat types.JID, id string) (string, error) {
	key := &waCommon.MessageKey{RemoteJID: proto.String(chat.String()), FromMe: proto.Bool(true), ID: proto.String(id)}
	return p.SendMessage(ctx, chat, &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
		Key: key, Type: waE2E.ProtocolMessage_REVOKE.Enum(),
	}})
}

// SendLocation sends a static location.
func (p *Phone) SendLocation(ctx context.Context, to types.JID, lat, lng float64, name, address string) (string, error) {
	return p.SendMessage(ctx, to, &waE2E.Message{LocationMessage: &waE2E.LocationMessage{
		DegreesLatitude: proto.Float64(lat), DegreesLongitude: proto.Float64(lng),
		Name: optString(name), Address: optString(address),
	}})
}

// SendContact sends a contact card.
func (p *Phone) SendContact(ctx context.Context, to types.JID, displayName, vcard string) (string, error) {
	return p.SendMessage(ctx, to, &waE2E.Message{ContactMessage: &waE2E.ContactMessage{
		DisplayName: proto.String(displayName), Vcard: proto.String(vcard),
	}})
}

// SendPoll creates a poll; selectable is how many options a voter may pick (0 = any).
func (p *Phone) SendPoll(ctx context.Context, to types.JID, name string, options []string, selectable int) (string, error) {
	opts := make([]*waE2E.PollCreationMessage_Option, len(options))
	for i, o := range options {
		opts[i] = &waE2E.PollCreationMessage_Option{OptionName: proto.String(o)}
	}
	return p.SendMessage(ctx, to, &waE2E.Message{
		PollCreationMessage: &waE2E.PollCreationMessage{
			Name: proto.String(name), Options: opts, SelectableOptionsCount: proto.Uint32(uint32(selectable)),
		},
		MessageContextInfo: &waE2E.MessageContextInfo{MessageSecret: randBytes(32)},
	})
}

// Vote votes on poll id in chat for the named options.
func (p *Phone) Vote(ctx context.Context, chat types.JID, pollID string, options ...string) (string, error) {
	poll, creator, err := p.lookupMessage(chat, pollID)
	if err != nil {
		return "", err
	}
	secret := poll.GetMessageContextInfo().GetMessageSecret()
	if len(secret) == 0 {
		return "", fmt.Errorf("poll %s has no message secret: %w", pollID, ErrInvalid)
	}
	hashes := make([][]byte, len(options))
	for i, o := range options {
		h := sha256.Sum256([]byte(o))
		hashes[i] = h[:]
	}
	plain, err := proto.Marshal(&waE2E.PollVoteMessage{SelectedOptions: hashes})
	if err != nil {
		return "", fmt.Errorf("marshal vote: %w", err)
	}
	key, ad := pollVoteKey(p.jid, pollID, creator, secret)
	iv := randBytes(12)
	ct, err := gcmutil.Encrypt(key, iv, plain, ad)
	if err != nil {
		return "", fmt.Errorf("encrypt vote: %w", err)
	}
	mkey, _, err := p.messageKey(chat, pollID)
	if err != nil {
		return "", err
	}
	return p.SendMessage(ctx, chat, &waE2E.Message{PollUpdateMessage: &waE2E.PollUpdateMessage{
		PollCreationMessageKey: mkey,
		Vote:                   &waE2E.PollEncValue{EncPayload: ct, EncIV: iv},
		SenderTimestampMS:      proto.Int64(time.Now().UnixMilli()),
	}})
}

// pollVoteKey derives the vote encryption key and additional data.
func pollVoteKey(voter types.JID, pollID string, creator types.JID, secret []byte) (key, ad []byte) {
	voterStr, creatorStr := voter.ToNonAD().String(), creator.ToNonAD().String()
	info := slices.Concat([]byte(pollID), []byte(creatorStr), []byte(voterStr), []byte("Poll Vote"))
	return hkdfutil.SHA256(secret, nil, info, 32), fmt.Appendf(nil, "%s\x00%s", pollID, voterStr)
}

// decryptVote returns the names of the options a received vote selected.
func (p *Phone) decryptVote(chat, voter types.JID, upd *waE2E.PollUpdateMessage) ([]string, error) {
	pollID := upd.GetPollCreationMessageKey().GetID()
	poll, creator, err := p.lookupMessage(chat, pollID)
	if err != nil {
		return nil, err
	}
	key, ad := pollVoteKey(voter, pollID, creator, poll.GetMessageContextInfo().GetMessageSecret())
	plain, err := gcmutil.Decrypt(key, upd.GetVote().GetEncIV(), upd.GetVote().GetEncPayload(), ad)
	if err != nil {
		return nil, fmt.Errorf("decrypt vote: %w", err)
	}
	var vote waE2E.PollVoteMessage
	if err := proto.Unmarshal(plain, &vote); err != nil {
		return nil, fmt.Errorf("unmarshal vote: %w", err)
	}
	var names []string
	for _, o := range poll.GetPollCreationMessage().GetOptions() {
		h := sha256.Sum256([]byte(o.GetOptionName()))
		for _, sel := range vote.GetSelectedOptions() {
			if string(sel) == string(h[:]) {
				names = append(names, o.GetOptionName())
			}
		}
	}
	return names, nil
}
