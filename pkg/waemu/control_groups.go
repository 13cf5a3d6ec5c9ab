package waemu

import (
	"fmt"
	"net/http"

	"go.mau.fi/whatsmeow/types"
)

// GroupDTO is a group in control API answers.
type GroupDTO struct {
	JID     types.JID   `json:"jid"`
	Subject string      `json:"subject"`
	Members []types.JID `json:"members"`
}

func (s *Server) ctlCreateGroup(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Phone   string   `json:"phone"` // the creating phone
		Subject string   `json:"subject"`
		Name    string   `json:"name"` // alias of subject
		Members []string `json:"members"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Subject == "" {
		req.Subject = req.Name
	}
	p, err := s.Phone(req.Phone)
	if err != nil {
		writeError(w, err)
		return
	}
	if req.Subject == "" {
		writeError(w, fmt.Errorf("subject is required: %w", ErrInvalid))
		return
	}
	var members []types.JID
	for _, m := range req.Members {
		jid, err := s.resolveChat(m)
		if err != nil {
			writeError(w, err)
			return
		}
		members = append(members, jid)
	}
	gjid, err := p.CreateGroup(req.Subject, members...)
	if err != nil {
		writeError(w, err)
		return
	}
	s.writeGroup(w, http.StatusCreated, gjid)
}

func (s *Server) ctlGetGroup(w http.ResponseWriter, r *http.Request) {
	jid, err := types.ParseJID(r.PathValue("jid"))
	if err != nil || jid.Server != types.GroupServer {
		writeError(w, fmt.Errorf("group jid: %w", ErrInvalid))
		return
	}
	s.writeGroup(w, http.StatusOK, jid)
}

func (s *Server) writeGroup(w http.ResponseWriter, status int, jid types.JID) {
	s.stateMu.Lock()
	g := s.groups[jid]
	var dto GroupDTO
	if g != nil {
		dto = GroupDTO{JID: g.jid, Subject: g.subject, Members: g.memberJIDs()}
	}
	s.stateMu.Unlock()
	if g == nil {
		writeError(w, fmt.Errorf("group %s: %w", jid, ErrNotFound))
		return
	}
	writeJSON(w, status, dto)
}

// groupActor decodes a body naming the acting phone and resolves the group.
func (s *Server) groupActor(w http.ResponseWriter, r *http.Request, body any, phone *string) (*Phone, types.JID, bool) {
	if !decode(w, r, body) {
		return nil, types.EmptyJID, false
	}
	jid, err := types.ParseJID(r.PathValue("jid"))
	if err != nil || jid.Server != types.GroupServer {
		writeError(w, fmt.Errorf("group jid: %w", ErrInvalid))
		return nil, types.EmptyJID, false
	}
	p, err := s.Phone(*phone)
	if err != nil {
		writeError(w, err)
		return nil, types.EmptyJID, false
	}
	return p, jid, true
}

func (s *Server) ctlGroupParticipants(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Phone        string   `json:"phone"`  // acting admin
		Action       string   `json:"action"` // add, remove, promote, demote
		Participants []string `json:"participants"`
	}
	p, gjid, ok := s.groupActor(w, r, &req, &req.Phone)
	if !ok {
		return
	}
	var users []types.JID
	for _, u := range req.Participants {
		jid, err := s.resolveChat(u)
		if err != nil {
			writeError(w, err)
			return
		}
		users = append(users, jid)
	}
	if err := p.UpdateParticipants(gjid, GroupChange(req.Action), users...); err != nil {
		writeError(w, err)
		return
	}
	s.writeGroup(w, http.StatusOK, gjid)
}

func (s *Server) ctlUpdateGroup(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Phone       string  `json:"phone"` // acting member
		Subject     *string `json:"subject"`
		Description *string `json:"description"`
		Announce    *bool   `json:"announce"`
		Locked      *bool   `json:"locked"`
		Leave       bool    `json:"leave"`
	}
	p, gjid, ok := s.groupActor(w, r, &req, &req.Phone)
	if !ok {
		return
	}
	var err error
	if req.Subject != nil {
		err = p.SetGroupSubject(gjid, *req.Subject)
	}
	if err == nil && req.Description != nil {
		err = p.SetGroupDescription(gjid, *req.Description)
	}
	if err == nil && req.Announce != nil {
		err = p.SetGroupAnnounce(gjid, *req.Announce)
	}
	if err == nil && req.Locked != nil {
		err = p.SetGroupLocked(gjid, *req.Locked)
	}
	if err == nil && req.Leave {
		err = p.LeaveGroup(gjid)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	s.writeGroup(w, http.StatusOK, gjid)
}

func (s *Server) ctlGroupInvite(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Phone string `json:"phone"` // acting admin
		Reset bool   `json:"reset"`
	}
	p, gjid, ok := s.groupActor(w, r, &req, &req.Phone)
	if !ok {
		return
	}
	code, err := p.GroupInviteCode(gjid, req.Reset)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"code": code, "link": "https://chat.whatsapp.com/" + code})
}
