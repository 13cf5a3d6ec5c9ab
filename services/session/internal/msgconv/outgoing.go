package msgconv

import (
	"errors"
	"fmt"
	"regexp"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
)

// ErrInvalid is returned (wrapped) by Build for a request that cannot become
// a WhatsApp message; the caller reports VALIDATION_FAILED.
var ErrInvalid = errors.New("invalid message")

// Uploaded is outgoing media after it was uploaded to WhatsApp.
type Uploaded struct {
	whatsmeow.UploadResponse
	Mimetype string // content type
	FileName string // documents
}

// MediaTypeOf returns whatsmeow's upload type for a message type.
func MediaTypeOf(t events.MessageType) (whatsmeow.MediaType, bool) {
	switch t {
	case events.TypeImage, events.TypeSticker:
		return whatsmeow.MediaImage, true
	case events.TypeVideo:
		return whatsmeow.MediaVideo, true
	case events.TypeAudio, events.TypeVoice:
		return whatsmeow.MediaAudio, true
	case events.TypeDocument:
		return whatsmeow.MediaDocument, true
	}
	return "", false
}

// Build turns a send request (with its media already uploaded, if any) into
// a WhatsApp message. ctx carries reply and mentions and may be nil.
func Build(req commands.SendMessage, up *Uploaded, ctx *waE2E.ContextInfo) (*waE2E.Message, error) {
	if _, isMedia := MediaTypeOf(req.Type); isMedia && up == nil {
		return nil, fmt.Errorf("%w: %s needs media", ErrInvalid, req.Type)
	}
	switch req.Type {
	case events.TypeText, "":
		return buildText(req, ctx)
	case events.TypeImage, events.TypeVideo, events.TypeAudio, events.TypeVoice, events.TypeDocument, events.TypeSticker:
		return wrapViewOnce(buildMedia(req, up, ctx), req.ViewOnce), nil
	case events.TypeLocation:
		if req.Location == nil {
			return nil, fmt.Errorf("%w: location is missing", ErrInvalid)
		}
		l := req.Location
		return &waE2E.Message{LocationMessage: &waE2E.LocationMessage{
			DegreesLatitude: proto.Float64(l.Latitude), DegreesLongitude: proto.Float64(l.Longitude),
			Name: strPtr(l.Name), Address: strPtr(l.Address), URL: strPtr(l.URL), ContextInfo: ctx,
		}}, nil
	case events.TypeContact:
		return buildContacts(req, ctx)
	case events.TypePoll:
		return buildPoll(req, ctx)
	}
	return nil, fmt.Errorf("%w: unsupported type %q", ErrInvalid, req.Type)
}

var urlPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

func buildText(req commands.SendMessage, ctx *waE2E.ContextInfo) (*waE2E.Message, error) {
	if req.Text == "" {
		return nil, fmt.Errorf("%w: text is empty", ErrInvalid)
	}
	link := ""
	if req.LinkPreview {
		link = urlPattern.FindString(req.Text)
	}
	if ctx == nil && link == "" {
		return &waE2E.Message{Conversation: proto.String(req.Text)}, nil
	}
	ext := &waE2E.ExtendedTextMessage{Text: proto.String(req.Text), ContextInfo: ctx}
	if link != "" {
		ext.MatchedText = proto.String(link)
		ext.PreviewType = waE2E.ExtendedTextMessage_NONE.Enum()
	}
	return &waE2E.Message{ExtendedTextMessage: ext}, nil
}

func buildMedia(req commands.SendMessage, up *Uploaded, ctx *waE2E.ContextInfo) *waE2E.Message {
	u := up.UploadResponse
	size := proto.Uint64(u.FileLength)
	switch req.Type {
	case events.TypeImage:
		return &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: strPtr(req.Caption), Mimetype: proto.String(up.Mimetype),
			URL: &u.URL, DirectPath: &u.DirectPath, MediaKey: u.MediaKey, FileEncSHA256: u.FileEncSHA256, FileSHA256: u.FileSHA256,
			FileLength: size, ContextInfo: ctx, ViewOnce: boolPtr(req.ViewOnce)}}
	case events.TypeVideo:
		return &waE2E.Message{VideoMessage: &waE2E.VideoMessage{Caption: strPtr(req.Caption), Mimetype: proto.String(up.Mimetype),
			URL: &u.URL, DirectPath: &u.DirectPath, MediaKey: u.MediaKey, FileEncSHA256: u.FileEncSHA256, FileSHA256: u.FileSHA256,
			FileLength: size, ContextInfo: ctx, ViewOnce: boolPtr(req.ViewOnce)}}
	case events.TypeAudio, events.TypeVoice:
		return &waE2E.Message{AudioMessage: &waE2E.AudioMessage{Mimetype: proto.String(up.Mimetype), PTT: proto.Bool(req.Type == events.TypeVoice),
			URL: &u.URL, DirectPath: &u.DirectPath, MediaKey: u.MediaKey, FileEncSHA256: u.FileEncSHA256, FileSHA256: u.FileSHA256,
			FileLength: size, ContextInfo: ctx}}
	case events.TypeSticker:
		return &waE2E.Message{StickerMessage: &waE2E.StickerMessage{Mimetype: proto.String(up.Mimetype),
			URL: &u.URL, DirectPath: &u.DirectPath, MediaKey: u.MediaKey, FileEncSHA256: u.FileEncSHA256, FileSHA256: u.FileSHA256,
			FileLength: size, ContextInfo: ctx}}
	}
	name := up.FileName
	if name == "" {
		name = "file"
	}
	return &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Caption: strPtr(req.Caption), Mimetype: proto.String(up.Mimetype),
		FileName: proto.String(name), Title: proto.String(name),
		URL: &u.URL, DirectPath: &u.DirectPath, MediaKey: u.MediaKey, FileEncSHA256: u.FileEncSHA256, FileSHA256: u.FileSHA256,
		FileLength: size, ContextInfo: ctx}}
}

func wrapViewOnce(m *waE2E.Message, viewOnce bool) *waE2E.Message {
	if !viewOnce || (m.ImageMessage == nil && m.VideoMessage == nil) {
		return m
	}
	return &waE2E.Message{ViewOnceMessage: &waE2E.FutureProofMessage{Message: m}}
}

func buildContacts(req commands.SendMessage, ctx *waE2E.ContextInfo) (*waE2E.Message, error) {
	if len(req.Contacts) == 0 {
		return nil, fmt.Errorf("%w: contacts are missing", ErrInvalid)
	}
	cards := make([]*waE2E.ContactMessage, 0, len(req.Contacts))
	for _, c := range req.Contacts {
		if c.VCard == "" {
			return nil, fmt.Errorf("%w: contact %q has no vcard", ErrInvalid, c.DisplayName)
		}
		cards = append(cards, &waE2E.ContactMessage{DisplayName: proto.String(c.DisplayName), Vcard: proto.String(c.VCard), ContextInfo: ctx})
	}
	if len(cards) == 1 {
		return &waE2E.Message{ContactMessage: cards[0]}, nil
	}
	return &waE2E.Message{ContactsArrayMessage: &waE2E.ContactsArrayMessage{
		DisplayName: proto.String(fmt.Sprintf("%d contacts", len(cards))), Contacts: cards, ContextInfo: ctx}}, nil
}

func buildPoll(req commands.SendMessage, ctx *waE2E.ContextInfo) (*waE2E.Message, error) {
	p := req.Poll
	if p == nil || p.Question == "" || len(p.Options) < 2 {
		return nil, fmt.Errorf("%w: a poll needs a question and at least two options", ErrInvalid)
	}
	opts := make([]*waE2E.PollCreationMessage_Option, 0, len(p.Options))
	for _, o := range p.Options {
		opts = append(opts, &waE2E.PollCreationMessage_Option{OptionName: proto.String(o)})
	}
	poll := &waE2E.PollCreationMessage{Name: proto.String(p.Question), Options: opts,
		SelectableOptionsCount: proto.Uint32(uint32(max(p.SelectableCount, 0))), ContextInfo: ctx}
	secret := make([]byte, 32)
	return &waE2E.Message{PollCreationMessageV3: poll, MessageContextInfo: &waE2E.MessageContextInfo{MessageSecret: randomFill(secret)}}, nil
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func boolPtr(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}
