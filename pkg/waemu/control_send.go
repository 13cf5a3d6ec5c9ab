package waemu

import (
	"context"
	"fmt"
	"net/http"

	"go.mau.fi/whatsmeow/types"
)

// SendRequest is the body of POST /sandbox/v1/phones/{phone}/messages.
type SendRequest struct {
	To         string   `json:"to"`                   // phone, user JID or group JID
	Type       string   `json:"type,omitempty"`       // text (default), image, video, audio, document, sticker, location, contact, reaction, poll, vote, edit, revoke
	Text       string   `json:"text,omitempty"`       // text, edit
	ReplyTo    string   `json:"replyTo,omitempty"`    // quoted message id (text)
	Mentions   []string `json:"mentions,omitempty"`   // mentioned users (text)
	Content    []byte   `json:"content,omitempty"`    // base64 media bytes
	Mimetype   string   `json:"mimetype,omitempty"`   // media
	FileName   string   `json:"fileName,omitempty"`   // document
	Caption    string   `json:"caption,omitempty"`    // image, video, document
	Latitude   float64  `json:"latitude,omitempty"`   // location
	Longitude  float64  `json:"longitude,omitempty"`  // location
	Name       string   `json:"name,omitempty"`       // location name, contact name, poll question
	Address    string   `json:"address,omitempty"`    // location
	Vcard      string   `json:"vcard,omitempty"`      // contact
	MessageID  string   `json:"messageId,omitempty"`  // target of reaction, vote, edit, revoke
	Emoji      string   `json:"emoji,omitempty"`      // reaction
	Options    []string `json:"options,omitempty"`    // poll options, or the chosen ones for a vote
	Selectable int      `json:"selectable,omitempty"` // poll
}

func (s *Server) ctlSend(w http.ResponseWriter, r *http.Request, p *Phone) {
	var req SendRequest
	if !decode(w, r, &req) {
		return
	}
	to, err := s.resolveChat(req.To)
	if err != nil {
		writeError(w, err)
		return
	}
	id, err := p.send(r.Context(), to, req)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

// send dispatches a control API send request to the typed phone methods.
func (p *Phone) send(ctx context.Context, to types.JID, req SendRequest) (string, error) {
	need := func(ok bool, field string) error {
		if !ok {
			return fmt.Errorf("%s is required for type %q: %w", field, req.Type, ErrInvalid)
		}
		return nil
	}
	switch req.Type {
	case "", "text":
		if err := need(req.Text != "", "text"); err != nil {
			return "", err
		}
		opts := TextOptions{ReplyTo: req.ReplyTo}
		for _, m := range req.Mentions {
			jid, err := p.srv.resolveChat(m)
			if err != nil {
				return "", err
			}
			opts.Mentions = append(opts.Mentions, jid)
		}
		if opts.ReplyTo == "" && len(opts.Mentions) == 0 {
			return p.SendText(ctx, to, req.Text)
		}
		return p.SendTextWith(ctx, to, req.Text, opts)
	case "image", "video", "audio", "document", "sticker":
		if err := need(len(req.Content) > 0, "content"); err != nil {
			return "", err
		}
		return p.SendMedia(ctx, to, Media{Kind: req.Type, Data: req.Content, Mimetype: req.Mimetype, FileName: req.FileName, Caption: req.Caption})
	case "location":
		return p.SendLocation(ctx, to, req.Latitude, req.Longitude, req.Name, req.Address)
	case "contact":
		if err := need(req.Name != "", "name"); err != nil {
			return "", err
		}
		return p.SendContact(ctx, to, req.Name, req.Vcard)
	case "reaction":
		if err := need(req.MessageID != "", "messageId"); err != nil {
			return "", err
		}
		return p.React(ctx, to, req.MessageID, req.Emoji)
	case "poll":
		if err := need(req.Name != "" && len(req.Options) >= 2, "name and two options"); err != nil {
			return "", err
		}
		return p.SendPoll(ctx, to, req.Name, req.Options, req.Selectable)
	case "vote", "poll_vote":
		if err := need(req.MessageID != "", "messageId"); err != nil {
			return "", err
		}
		return p.Vote(ctx, to, req.MessageID, req.Options...)
	case "edit":
		if err := need(req.MessageID != "" && req.Text != "", "messageId and text"); err != nil {
			return "", err
		}
		return p.Edit(ctx, to, req.MessageID, req.Text)
	case "revoke":
		if err := need(req.MessageID != "", "messageId"); err != nil {
			return "", err
		}
		return p.Revoke(ctx, to, req.MessageID)
	}
	return "", fmt.Errorf("unknown message type %q: %w", req.Type, ErrInvalid)
}
