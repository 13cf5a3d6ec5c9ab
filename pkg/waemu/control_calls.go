package waemu

import (
	"net/http"
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
