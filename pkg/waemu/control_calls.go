package waemu

import (
	"context"
	"fmt"
	"net/http"

	"go.mau.fi/whatsmeow/types"
)

func (s *Server) ctlCall(w http.ResponseWriter, r *http.Request, p *Phone) {
	var req struct {
		To    string `json:"to"`
		Video bool   `json:"video"`
		End   string `json:"end"` // a call id to end instead of starting a call
	}
	if !decode(w, r, &req) {
		return
	}
	to, err := s.resolveChat(req.To)
	if err != nil {
		writeError(w, err)
		return
	}
	if req.End != "" {
		if err := p.EndCall(to, req.End); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	id, err := p.Call(to, req.Video)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"callId": id})
}

func (s *Server) ctlCalls(w http.ResponseWriter, _ *http.Request, p *Phone) {
	calls := p.Calls()
	if calls == nil {
		calls = []CallEvent{}
	}
	writeJSON(w, http.StatusOK, calls)
}

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
