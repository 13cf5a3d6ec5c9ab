package waemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/types"

	"github.com/wamesh/wamesh/pkg/httpx"
)

// ControlPrefix is where the all-in-one mounts ControlHandler.
const ControlPrefix = "/sandbox/v1"

// controlTimeout bounds calls that wait for a client (scan, pair-code).
const controlTimeout = 60 * time.Second

// PhoneDTO is a simulated account in control API answers.
type PhoneDTO struct {
	Phone   string      `json:"phone"`   // "+15550000001"
	JID     types.JID   `json:"jid"`     // phone-number JID
	LID     types.JID   `json:"lid"`     // LID
	Name    string      `json:"name"`    // push name
	Devices []types.JID `json:"devices"` // linked companion devices
}

func phoneDTO(p *Phone) PhoneDTO {
	devs := p.Devices()
	if devs == nil {
		devs = []types.JID{}
	}
	return PhoneDTO{Phone: p.Number(), JID: p.JID(), LID: p.LID(), Name: p.Name(), Devices: devs}
}

// ControlHandler serves the sandbox control API (JSON) on full paths under
// /sandbox/v1. Authentication is the mounting code's job.
func (s *Server) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	p := ControlPrefix
	mux.HandleFunc("POST "+p+"/phones", s.ctlCreatePhone)
	mux.HandleFunc("GET "+p+"/phones", s.ctlListPhones)
	mux.HandleFunc("GET "+p+"/phones/{phone}", s.withPhone(s.ctlGetPhone))
	mux.HandleFunc("POST "+p+"/phones/{phone}/scan", s.withPhone(s.ctlScan))
	mux.HandleFunc("POST "+p+"/phones/{phone}/pair-code", s.withPhone(s.ctlPairCode))
	mux.HandleFunc("POST "+p+"/phones/{phone}/messages", s.withPhone(s.ctlSend))
	mux.HandleFunc("GET "+p+"/phones/{phone}/messages", s.withPhone(s.ctlMessages))
	mux.HandleFunc("GET "+p+"/phones/{phone}/receipts", s.withPhone(s.ctlReceipts))
	mux.HandleFunc("POST "+p+"/phones/{phone}/read", s.withPhone(s.ctlRead))
	mux.HandleFunc("POST "+p+"/phones/{phone}/presence", s.withPhone(s.ctlPresence))
	mux.HandleFunc("DELETE "+p+"/phones/{phone}/devices/{device}", s.withPhone(s.ctlUnlink))
	mux.HandleFunc("POST "+p+"/phones/{phone}/calls", s.withPhone(s.ctlCall))
	mux.HandleFunc("GET "+p+"/phones/{phone}/calls", s.withPhone(s.ctlCalls))
	mux.HandleFunc("POST "+p+"/phones/{phone}/history-sync", s.withPhone(s.ctlHistorySync))
	mux.HandleFunc("POST "+p+"/phones/{phone}/app-state-keys", s.withPhone(s.ctlShareAppStateKeys))
	mux.HandleFunc("POST "+p+"/phones/{phone}/chat-settings", s.withPhone(s.ctlChatSettings))
	mux.HandleFunc("POST "+p+"/phones/{phone}/contacts", s.withPhone(s.ctlSaveContact))
	mux.HandleFunc("POST "+p+"/groups", s.ctlCreateGroup)
	mux.HandleFunc("GET "+p+"/groups/{jid}", s.ctlGetGroup)
	mux.HandleFunc("PATCH "+p+"/groups/{jid}", s.ctlUpdateGroup)
	mux.HandleFunc("POST "+p+"/groups/{jid}/participants", s.ctlGroupParticipants)
	mux.HandleFunc("POST "+p+"/groups/{jid}/invite", s.ctlGroupInvite)
	mux.HandleFunc("GET "+p+"/connections", s.ctlConnections)
	mux.HandleFunc("GET "+p+"/unhandled", s.ctlUnhandled)
	mux.HandleFunc(p+"/", func(w http.ResponseWriter, _ *http.Request) {
		writeProblem(w, http.StatusNotFound, "NOT_FOUND", "no such control endpoint")
	})
	return recoverer(s, mux)
}

func recoverer(s *Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("waemu: control handler panic", "path", r.URL.Path, "panic", v)
				writeProblem(w, http.StatusInternalServerError, "INTERNAL", "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) withPhone(h func(http.ResponseWriter, *http.Request, *Phone)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Phone(r.PathValue("phone"))
		if err != nil {
			writeError(w, err)
			return
		}
		h(w, r, p)
	}
}

func (s *Server) ctlCreatePhone(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Phone string `json:"phone"`
		Name  string `json:"name"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Name == "" {
		req.Name = req.Phone
	}
	p, err := s.CreatePhone(req.Phone, req.Name)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, phoneDTO(p))
}

func (s *Server) ctlListPhones(w http.ResponseWriter, _ *http.Request) {
	out := []PhoneDTO{}
	for _, p := range s.Phones() {
		out = append(out, phoneDTO(p))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) ctlGetPhone(w http.ResponseWriter, _ *http.Request, p *Phone) {
	writeJSON(w, http.StatusOK, phoneDTO(p))
}

func (s *Server) ctlScan(w http.ResponseWriter, r *http.Request, p *Phone) {
	var req struct {
		QR string `json:"qr"`
	}
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	dev, err := p.ScanQR(ctx, req.QR)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]types.JID{"device": dev})
}

func (s *Server) ctlPairCode(w http.ResponseWriter, r *http.Request, p *Phone) {
	var req struct {
		Code string `json:"code"`
	}
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	dev, err := p.EnterPairCode(ctx, req.Code)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]types.JID{"device": dev})
}

// ctlMessages lists what the phone received; ?chat= narrows it to one chat.
func (s *Server) ctlMessages(w http.ResponseWriter, r *http.Request, p *Phone) {
	msgs := p.Messages()
	if q := r.URL.Query().Get("chat"); q != "" {
		chat, err := s.resolveChat(q)
		if err != nil {
			writeError(w, err)
			return
		}
		msgs = slices.DeleteFunc(msgs, func(m ReceivedMessage) bool { return m.Chat != chat })
	}
	if msgs == nil {
		msgs = []ReceivedMessage{}
	}
	writeJSON(w, http.StatusOK, msgs)
}

func (s *Server) ctlReceipts(w http.ResponseWriter, _ *http.Request, p *Phone) {
	rs := p.Receipts()
	if rs == nil {
		rs = []PhoneReceipt{}
	}
	writeJSON(w, http.StatusOK, rs)
}

func (s *Server) ctlRead(w http.ResponseWriter, r *http.Request, p *Phone) {
	var req struct {
		Chat string   `json:"chat"`
		IDs  []string `json:"ids"`
	}
	if !decode(w, r, &req) {
		return
	}
	chat, err := s.resolveChat(req.Chat)
	if err == nil && len(req.IDs) == 0 {
		err = fmt.Errorf("ids are required: %w", ErrInvalid)
	}
	if err == nil {
		err = p.MarkRead(chat, req.IDs...)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) ctlPresence(w http.ResponseWriter, r *http.Request, p *Phone) {
	var req struct {
		Available *bool  `json:"available"`
		To        string `json:"to"`
		State     string `json:"state"` // composing, paused
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Available != nil {
		p.SetPresence(*req.Available)
	}
	if req.State != "" {
		to, err := s.resolveChat(req.To)
		if err == nil {
			err = p.SendChatPresence(to, req.State)
		}
		if err != nil {
			writeError(w, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) ctlUnlink(w http.ResponseWriter, r *http.Request, p *Phone) {
	dev, err := types.ParseJID(r.PathValue("device"))
	if err == nil {
		err = p.Unlink(dev)
	} else {
		err = fmt.Errorf("device: %w", ErrInvalid)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) ctlConnections(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.ActiveConnections())
}

func (s *Server) ctlUnhandled(w http.ResponseWriter, _ *http.Request) {
	un := s.UnhandledNodes()
	if un == nil {
		un = []UnhandledNode{}
	}
	writeJSON(w, http.StatusOK, un)
}

// resolveChat parses "+15550000001", digits, a user JID or a group JID.
func (s *Server) resolveChat(to string) (types.JID, error) {
	to = strings.TrimSpace(to)
	if to == "" {
		return types.EmptyJID, fmt.Errorf("chat is required: %w", ErrInvalid)
	}
	if strings.Contains(to, "@") {
		jid, err := types.ParseJID(to)
		if err != nil {
			return types.EmptyJID, fmt.Errorf("chat %q: %w", to, ErrInvalid)
		}
		return jid.ToNonAD(), nil
	}
	p, err := s.Phone(to)
	if err != nil {
		return types.EmptyJID, err
	}
	return p.JID(), nil
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxMediaSize*2))
	if err := dec.Decode(v); err != nil {
		writeProblem(w, http.StatusBadRequest, "BAD_REQUEST", "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	httpx.WriteProblem(w, httpx.NewProblem(status, code, detail))
}

// writeError maps package errors to problem codes.
func writeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeProblem(w, http.StatusNotFound, "NOT_FOUND", err.Error())
	case errors.Is(err, ErrInvalid):
		writeProblem(w, http.StatusUnprocessableEntity, "VALIDATION_FAILED", err.Error())
	case errors.Is(err, ErrConflict):
		writeProblem(w, http.StatusConflict, "CONFLICT", err.Error())
	case errors.Is(err, ErrExists):
		writeProblem(w, http.StatusConflict, "ALREADY_EXISTS", err.Error())
	case errors.Is(err, ErrPairRejected):
		writeProblem(w, http.StatusUnprocessableEntity, "PAIR_REJECTED", err.Error())
	case errors.Is(err, ErrNoSession):
		writeProblem(w, http.StatusConflict, "NO_SESSION", err.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrConnectionClosed):
		writeProblem(w, http.StatusGatewayTimeout, "CLIENT_TIMEOUT", err.Error())
	default:
		writeProblem(w, http.StatusInternalServerError, "INTERNAL", err.Error())
	}
}
