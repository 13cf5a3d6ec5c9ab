package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/services/gateway/api"
)

// SendMessage queues a message (JSON or multipart) and optionally waits for
// the owner's message.sent / message.failed event.
func (s *Server) SendMessage(c echo.Context, id api.SessionParam, chat api.ChatParam, params api.SendMessageParams) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	to, err := chatJID("chat", chat)
	if err != nil {
		return err
	}
	if err := s.sendable(sess); err != nil {
		return err
	}
	wait, err := s.waitParam(params.Wait)
	if err != nil {
		return err
	}
	msg, err := s.readSend(c, sess)
	if err != nil {
		return err
	}
	if err := s.normaliseSend(&msg); err != nil {
		return err
	}
	messageID, dedup := ids.NewMessageID(), ""
	if k := deref(params.IdempotencyKey); k != "" {
		messageID = idempotentMessageID(sess.ID, k)
		dedup = messageID
	}
	cmd, err := commands.NewCommand(commands.KindSendMessage, sess.Tenant, sess.ID, messageID, to, msg)
	if err != nil {
		return err
	}
	if wait > 0 {
		return s.sendAndWait(c, cmd, dedup, wait)
	}
	if err := s.enqueue(c.Request().Context(), cmd, dedup); err != nil {
		return err
	}
	return queued(c, messageID)
}

// idempotentMessageID derives the message id from the Idempotency-Key, so a
// repeated request gets the same id and JetStream drops the duplicate.
func idempotentMessageID(session, key string) string {
	sum := sha256.Sum256([]byte(session + "\x00" + key))
	return "3EB0" + strings.ToUpper(hex.EncodeToString(sum[:9]))
}

func (s *Server) waitParam(w *api.WaitParam) (time.Duration, error) {
	if w == nil {
		return 0, nil
	}
	d, err := time.ParseDuration(*w)
	if err != nil || d < 0 {
		return 0, validation("wait: expected a duration like 10s")
	}
	return min(d, s.opts.MaxWait), nil
}

func (s *Server) readSend(c echo.Context, sess control.Session) (commands.SendMessage, error) {
	if mediaType(c.Request().Header.Get(echo.HeaderContentType)) == "multipart/form-data" {
		return s.readMultipartSend(c, sess)
	}
	var msg commands.SendMessage
	if err := decode(c, &msg); err != nil {
		return msg, err
	}
	if msg.Media != nil && msg.Media.Base64 != "" {
		ref, err := s.storeBase64(c.Request().Context(), sess, msg.Media)
		if err != nil {
			return msg, err
		}
		msg.Media = ref
	}
	if msg.Media != nil && msg.Media.URL != "" {
		if err := s.opts.SSRF.ValidateURL(c.Request().Context(), msg.Media.URL); err != nil {
			return msg, problem(http.StatusUnprocessableEntity, string(commands.CodeValidation), "media.url: "+err.Error())
		}
	}
	if msg.Media != nil && msg.Media.MediaID != "" {
		if err := s.mediaExists(c.Request().Context(), sess, msg.Media.MediaID); err != nil {
			return msg, err
		}
	}
	return msg, nil
}

// normaliseSend checks what the schema cannot: the content a type needs.
func (s *Server) normaliseSend(m *commands.SendMessage) error {
	switch m.Type {
	case events.TypeText:
		if strings.TrimSpace(m.Text) == "" {
			return validation("text: required for a text message")
		}
	case events.TypeImage, events.TypeVideo, events.TypeAudio, events.TypeVoice, events.TypeDocument, events.TypeSticker:
		if m.Media == nil {
			return validation("media: required for a " + string(m.Type) + " message")
		}
		n := 0
		for _, set := range []bool{m.Media.MediaID != "", m.Media.URL != "", m.Media.Base64 != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			return validation("media: exactly one of mediaId, url or base64")
		}
	case events.TypeLocation:
		if m.Location == nil {
			return validation("location: required for a location message")
		}
	case events.TypeContact:
		if len(m.Contacts) == 0 {
			return validation("contacts: required for a contact message")
		}
	case events.TypePoll:
		if m.Poll == nil {
			return validation("poll: required for a poll message")
		}
	default:
		return validation("type: unsupported message type " + string(m.Type))
	}
	mentions, err := jids("mentions", m.Mentions)
	if err != nil {
		return err
	}
	m.Mentions = mentions
	return nil
}

// sendResult is the 200 body of a send with ?wait that was sent.
type sendResult struct {
	ID     string       `json:"id"`
	Status string       `json:"status"`
	Event  events.Event `json:"event"`
}

// sendAndWait subscribes to the session's sent/failed events before
// publishing, then waits for the one about this message.
func (s *Server) sendAndWait(c echo.Context, cmd commands.Command, dedup string, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), wait)
	defer cancel()
	ch := make(chan *nats.Msg, 256) // every sent/failed event of the session passes here
	for _, t := range []events.Type{events.MessageSent, events.MessageFailed} {
		subj, err := events.Subject(cmd.Tenant, cmd.Session, t)
		if err != nil {
			return err
		}
		sub, err := s.nc.ChanSubscribe(subj, ch)
		if err != nil {
			return err
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	if err := s.enqueue(c.Request().Context(), cmd, dedup); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return queued(c, cmd.MessageID)
		case m := <-ch:
			ev, err := events.Decode(m.Data)
			if err != nil {
				continue
			}
			if done, err := s.waitOutcome(c, cmd.MessageID, ev); done {
				return err
			}
		}
	}
}

func (s *Server) waitOutcome(c echo.Context, messageID string, ev events.Event) (bool, error) {
	switch ev.EventType() {
	case events.MessageSent:
		d, err := events.DecodeData[events.MessageData](ev)
		if err != nil || d.ID != messageID {
			return false, nil
		}
		return true, c.JSON(http.StatusOK, sendResult{ID: messageID, Status: "sent", Event: ev})
	case events.MessageFailed:
		d, err := events.DecodeData[events.MessageFailedData](ev)
		if err != nil || d.ID != messageID {
			return false, nil
		}
		code := commands.Code(d.Code)
		if code == "" {
			code = commands.CodeWhatsApp
		}
		return true, &commands.Error{Code: code, Message: "message " + messageID + " failed", Detail: d.Reason}
	}
	return false, nil
}
