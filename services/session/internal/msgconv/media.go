package msgconv

import (
	"encoding/hex"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"

	"github.com/wamesh/wamesh/pkg/events"
)

// MediaOf returns the media descriptor and caption of a media message, or nil.
func MediaOf(m *waE2E.Message) (*events.Media, string) {
	switch {
	case m.GetImageMessage() != nil:
		x := m.GetImageMessage()
		return &events.Media{Mimetype: x.GetMimetype(), Size: int64(x.GetFileLength()), SHA256: hex.EncodeToString(x.GetFileSHA256()),
			Width: int(x.GetWidth()), Height: int(x.GetHeight())}, x.GetCaption()
	case m.GetVideoMessage() != nil:
		x := m.GetVideoMessage()
		return &events.Media{Mimetype: x.GetMimetype(), Size: int64(x.GetFileLength()), SHA256: hex.EncodeToString(x.GetFileSHA256()),
			Width: int(x.GetWidth()), Height: int(x.GetHeight()), Seconds: int(x.GetSeconds())}, x.GetCaption()
	case m.GetAudioMessage() != nil:
		x := m.GetAudioMessage()
		return &events.Media{Mimetype: x.GetMimetype(), Size: int64(x.GetFileLength()), SHA256: hex.EncodeToString(x.GetFileSHA256()),
			Seconds: int(x.GetSeconds())}, ""
	case m.GetDocumentMessage() != nil:
		x := m.GetDocumentMessage()
		return &events.Media{Mimetype: x.GetMimetype(), Size: int64(x.GetFileLength()), SHA256: hex.EncodeToString(x.GetFileSHA256()),
			FileName: x.GetFileName()}, x.GetCaption()
	case m.GetStickerMessage() != nil:
		x := m.GetStickerMessage()
		return &events.Media{Mimetype: x.GetMimetype(), Size: int64(x.GetFileLength()), SHA256: hex.EncodeToString(x.GetFileSHA256()),
			Width: int(x.GetWidth()), Height: int(x.GetHeight())}, ""
	}
	return nil, ""
}

// Downloadable returns the part of m whatsmeow can download, or nil.
func Downloadable(m *waE2E.Message) whatsmeow.DownloadableMessage {
	switch {
	case m.GetImageMessage() != nil:
		return m.GetImageMessage()
	case m.GetVideoMessage() != nil:
		return m.GetVideoMessage()
	case m.GetAudioMessage() != nil:
		return m.GetAudioMessage()
	case m.GetDocumentMessage() != nil:
		return m.GetDocumentMessage()
	case m.GetStickerMessage() != nil:
		return m.GetStickerMessage()
	}
	return nil
}
