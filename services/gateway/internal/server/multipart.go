package server

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
)

// maxFieldBytes caps a non-file multipart field.
const maxFieldBytes = 64 << 10

func multipartReader(c echo.Context) (*multipart.Reader, error) {
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return nil, problem(http.StatusBadRequest, codeMalformed, "expected a multipart/form-data body: "+err.Error())
	}
	return mr, nil
}

// multipartError maps an error reading the request body: 413 for an
// oversized body, 400 for the rest.
func multipartError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return toProblem(mbe)
	}
	return problem(http.StatusBadRequest, codeMalformed, "cannot read the request body: "+err.Error())
}

// readMultipartSend streams the "file" part into the object store and reads
// the other fields (type, caption, fileName, mimetype, replyTo, viewOnce).
func (s *Server) readMultipartSend(c echo.Context, sess control.Session) (commands.SendMessage, error) {
	var msg commands.SendMessage
	mr, err := multipartReader(c)
	if err != nil {
		return msg, err
	}
	fields := map[string]string{}
	var stored *mediaInfo
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return msg, multipartError(err)
		}
		if part.FormName() == "file" {
			if stored != nil {
				return msg, validation("file: only one file per message")
			}
			info, err := s.storeMedia(c.Request().Context(), sess, part, part.Header.Get(echo.HeaderContentType), part.FileName())
			if err != nil {
				return msg, uploadError(err)
			}
			stored = &info
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		if err != nil {
			return msg, multipartError(err)
		}
		if len(v) > maxFieldBytes {
			return msg, validation(part.FormName() + ": too long")
		}
		fields[part.FormName()] = string(v)
	}
	if stored == nil {
		return msg, validation("file: required in a multipart message")
	}
	return multipartMessage(fields, *stored)
}

func multipartMessage(fields map[string]string, stored mediaInfo) (commands.SendMessage, error) {
	msg := commands.SendMessage{
		Type:    events.MessageType(fields["type"]),
		Caption: fields["caption"],
		ReplyTo: fields["replyTo"],
		Media:   &commands.MediaRef{MediaID: stored.ID, Mimetype: stored.Mimetype, FileName: stored.FileName},
	}
	if fn := fields["fileName"]; fn != "" {
		msg.Media.FileName = fn
	}
	if mt := fields["mimetype"]; mt != "" {
		msg.Media.Mimetype = mt
	}
	if v, ok := fields["viewOnce"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return msg, validation("viewOnce: expected true or false")
		}
		msg.ViewOnce = b
	}
	switch msg.Type {
	case events.TypeImage, events.TypeVideo, events.TypeAudio, events.TypeVoice, events.TypeDocument, events.TypeSticker:
	case "":
		return msg, validation("type: required")
	default:
		return msg, validation("type: a file can be sent as image, video, audio, voice, document or sticker")
	}
	return msg, nil
}
