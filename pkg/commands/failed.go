package commands

import (
	"encoding/json"
	"strings"

	"github.com/wamesh/wamesh/pkg/events"
)

// FailedData describes cmd's failure for message.failed. For a send it
// also carries what was to be sent (inline media content left out), so a
// message that never reached WhatsApp can still be listed with its status.
func FailedData(cmd Command, code Code, reason string) events.MessageFailedData {
	id := cmd.MessageID
	if id == "" {
		id = cmd.ID
	}
	d := events.MessageFailedData{ID: id, Chat: cmd.Chat, Code: string(code), Reason: reason, Command: cmd.ID}
	if cmd.Kind != KindSendMessage || cmd.Chat == "" {
		return d
	}
	var p SendMessage
	if json.Unmarshal(cmd.Payload, &p) != nil || p.Type == "" {
		return d
	}
	m := &events.MessageData{ID: id, Chat: cmd.Chat, Timestamp: cmd.CreatedAt, Type: p.Type, Text: p.Text,
		Caption: p.Caption, QuotedID: p.ReplyTo, Mentions: p.Mentions, Location: p.Location, Contacts: p.Contacts,
		Poll: p.Poll, IsGroup: strings.HasSuffix(cmd.Chat, "@g.us"), FromMe: true, ViewOnce: p.ViewOnce, Command: cmd.ID}
	if p.Media != nil {
		m.Media = &events.Media{Mimetype: p.Media.Mimetype, FileName: p.Media.FileName, MediaID: p.Media.MediaID}
	}
	d.Message = m
	return d
}
