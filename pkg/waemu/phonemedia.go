package waemu

import (
	"context"
	"fmt"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// Media is an attachment a phone sends.
type Media struct {
	Kind     string // image, video, audio, document, sticker
	Data     []byte
	Mimetype string
	FileName string // documents
	Caption  string // image, video, document
}

// SendMedia uploads real encrypted media and sends it as the matching message.
func (p *Phone) SendMedia(ctx context.Context, to types.JID, m Media) (string, error) {
	msg, err := p.srv.mediaMessage(m)
	if err != nil {
		return "", err
	}
	return p.SendMessage(ctx, to, msg)
}

func (s *Server) mediaMessage(m Media) (*waE2E.Message, error) {
	typ := mediaTypeFor(m.Kind)
	if typ == "" {
		return nil, fmt.Errorf("media kind %q: %w", m.Kind, ErrInvalid)
	}
	up, err := s.uploadMedia(m.Data, typ)
	if err != nil {
		return nil, err
	}
	mime := m.Mimetype
	if mime == "" {
		mime = map[string]string{
			"image": "image/jpeg", "video": "video/mp4", "audio": "audio/ogg; codecs=opus",
			"document": "application/octet-stream", "sticker": "image/webp",
		}[m.Kind]
	}
	url := "https://" + mediaHost + up.directPath
	switch m.Kind {
	case "image":
		return &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			URL: &url, DirectPath: &up.directPath, MediaKey: up.mediaKey, Mimetype: &mime, Caption: optString(m.Caption),
			FileSHA256: up.fileSHA256, FileEncSHA256: up.fileEncSHA256, FileLength: &up.length,
		}}, nil
	case "video":
		return &waE2E.Message{VideoMessage: &waE2E.VideoMessage{
			URL: &url, DirectPath: &up.directPath, MediaKey: up.mediaKey, Mimetype: &mime, Caption: optString(m.Caption),
			FileSHA256: up.fileSHA256, FileEncSHA256: up.fileEncSHA256, FileLength: &up.length,
		}}, nil
	case "audio":
		return &waE2E.Message{AudioMessage: &waE2E.AudioMessage{
			URL: &url, DirectPath: &up.directPath, MediaKey: up.mediaKey, Mimetype: &mime,
			FileSHA256: up.fileSHA256, FileEncSHA256: up.fileEncSHA256, FileLength: &up.length,
		}}, nil
	case "sticker":
		return &waE2E.Message{StickerMessage: &waE2E.StickerMessage{
			URL: &url, DirectPath: &up.directPath, MediaKey: up.mediaKey, Mimetype: &mime,
			FileSHA256: up.fileSHA256, FileEncSHA256: up.fileEncSHA256, FileLength: &up.length,
		}}, nil
	default:
		return &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
			URL: &url, DirectPath: &up.directPath, MediaKey: up.mediaKey, Mimetype: &mime, Caption: optString(m.Caption),
			FileName: optString(m.FileName), FileSHA256: up.fileSHA256, FileEncSHA256: up.fileEncSHA256, FileLength: &up.length,
		}}, nil
	}
}

func mediaTypeFor(kind string) whatsmeow.MediaType {
	switch kind {
	case "image", "sticker":
		return whatsmeow.MediaImage
	case "video":
		return whatsmeow.MediaVideo
	case "audio":
		return whatsmeow.MediaAudio
	case "document":
		return whatsmeow.MediaDocument
	}
	return ""
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return proto.String(s)
}

// downloadable is what every media message type shares.
type downloadable interface {
	GetDirectPath() string
	GetMediaKey() []byte
	GetFileSHA256() []byte
}

// DownloadMedia decrypts the attachment of a received message byte-exact.
func (p *Phone) DownloadMedia(rm ReceivedMessage) ([]byte, error) {
	m := unwrap(rm.Raw)
	var (
		d    downloadable
		kind string
	)
	switch {
	case m.GetImageMessage() != nil:
		d, kind = m.GetImageMessage(), "image"
	case m.GetVideoMessage() != nil:
		d, kind = m.GetVideoMessage(), "video"
	case m.GetAudioMessage() != nil:
		d, kind = m.GetAudioMessage(), "audio"
	case m.GetDocumentMessage() != nil:
		d, kind = m.GetDocumentMessage(), "document"
	case m.GetStickerMessage() != nil:
		d, kind = m.GetStickerMessage(), "sticker"
	default:
		return nil, fmt.Errorf("message %s has no media: %w", rm.ID, ErrNotFound)
	}
	return p.srv.downloadMedia(d.GetDirectPath(), d.GetMediaKey(), d.GetFileSHA256(), mediaTypeFor(kind))
}
