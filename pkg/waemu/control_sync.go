package waemu

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/types"
)

func (s *Server) ctlHistorySync(w http.ResponseWriter, r *http.Request, p *Phone) {
	var req struct {
		Device string `json:"device"` // linked device JID; empty means every linked device
	}
	if !decode(w, r, &req) {
		return
	}
	devices := p.Devices()
	if req.Device != "" {
		dev, err := types.ParseJID(req.Device)
		if err != nil {
			writeError(w, fmt.Errorf("device: %w", ErrInvalid))
			return
		}
		devices = []types.JID{dev}
	}
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	for _, dev := range devices {
		if err := p.SendHistorySync(ctx, dev); err != nil {
			writeError(w, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) ctlChatSettings(w http.ResponseWriter, r *http.Request, p *Phone) {
	var req struct {
		Chat        string `json:"chat"`
		Archived    *bool  `json:"archived"`
		Pinned      *bool  `json:"pinned"`
		MutedForSec *int64 `json:"mutedForSec"` // 0 unmutes
		Read        *bool  `json:"read"`
	}
	if !decode(w, r, &req) {
		return
	}
	chat, err := s.resolveChat(req.Chat)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	var patches []appstate.PatchInfo
	if req.Archived != nil {
		patches = append(patches, appstate.BuildArchive(chat, *req.Archived, time.Now(), nil))
	}
	if req.Pinned != nil {
		patches = append(patches, appstate.BuildPin(chat, *req.Pinned))
	}
	if req.MutedForSec != nil {
		patches = append(patches, appstate.BuildMute(chat, *req.MutedForSec > 0, time.Duration(*req.MutedForSec)*time.Second))
	}
	if req.Read != nil {
		patches = append(patches, appstate.BuildMarkChatAsRead(chat, *req.Read, time.Now(), nil))
	}
	if len(patches) == 0 {
		writeError(w, fmt.Errorf("no setting given: %w", ErrInvalid))
		return
	}
	for _, patch := range patches {
		if err := p.SendAppState(ctx, patch); err != nil {
			writeError(w, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) ctlShareAppStateKeys(w http.ResponseWriter, r *http.Request, p *Phone) {
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	for _, dev := range p.Devices() {
		if err := p.ShareAppStateKeys(ctx, dev); err != nil {
			writeError(w, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) ctlSaveContact(w http.ResponseWriter, r *http.Request, p *Phone) {
	var req struct {
		Contact   string `json:"contact"` // phone or JID
		FullName  string `json:"fullName"`
		FirstName string `json:"firstName"`
	}
	if !decode(w, r, &req) {
		return
	}
	jid, err := s.resolveChat(req.Contact)
	if err == nil && req.FullName == "" {
		err = fmt.Errorf("fullName is required: %w", ErrInvalid)
	}
	if err == nil {
		ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
		defer cancel()
		err = p.SaveContact(ctx, jid, req.FullName, req.FirstName)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
