package waemu

import "go.mau.fi/whatsmeow/types"

// Groups address members by phone number ("pn", the default) or by LID
// ("lid", Options.LIDGroups) as current WhatsApp groups do.

func (s *Server) groupAddressing() string {
	if s.opts.LIDGroups {
		return "lid"
	}
	return "pn"
}

// groupIdentity returns how a PN user or device appears in groups, and the
// attribute naming its other form ("participant_pn" or "participant_lid").
func (s *Server) groupIdentity(pn types.JID) (jid, alt types.JID) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.groupIdentityLocked(pn)
}

// groupIdentityLocked is groupIdentity for callers holding stateMu.
func (s *Server) groupIdentityLocked(pn types.JID) (jid, alt types.JID) {
	p := s.phones[pn.User]
	if p == nil || pn.Server != types.DefaultUserServer {
		return pn, types.EmptyJID
	}
	lid := deviceJID(p.lid.User, types.HiddenUserServer, pn.Device)
	if s.opts.LIDGroups {
		return lid, pn
	}
	return pn, lid
}

// altAttr names the attribute that carries the other form of a participant.
func (s *Server) altAttr(base string) string {
	if s.opts.LIDGroups {
		return base + "_pn"
	}
	return base + "_lid"
}

// memberAttrs renders a member for participant lists in group nodes and
// notifications. Needs stateMu.
func (s *Server) memberAttrsLocked(pn types.JID) map[string]any {
	jid, alt := s.groupIdentityLocked(pn)
	attrs := map[string]any{"jid": jid}
	if !alt.IsEmpty() {
		if s.opts.LIDGroups {
			attrs["phone_number"] = alt
		} else {
			attrs["lid"] = alt
		}
	}
	return attrs
}

// chatSender returns the "from" of a 1:1 stanza sent by a PN user or device
// and the attribute carrying its other form: by phone number with sender_lid
// (the default), or by LID with sender_pn (Options.LIDChats).
func (s *Server) chatSender(pn types.JID) (from types.JID, altKey string, alt types.JID) {
	s.stateMu.Lock()
	p := s.phones[pn.User]
	s.stateMu.Unlock()
	if p == nil {
		return pn, "", types.EmptyJID
	}
	lid := deviceJID(p.lid.User, types.HiddenUserServer, pn.Device)
	if s.opts.LIDChats {
		return lid, "sender_pn", pn
	}
	return pn, "sender_lid", lid.ToNonAD()
}

// chatAttrs fills from and the alternate sender attribute for a 1:1 stanza.
func (s *Server) chatAttrs(attrs map[string]any, pn types.JID) map[string]any {
	from, altKey, alt := s.chatSender(pn)
	attrs["from"] = from
	if altKey != "" {
		attrs[altKey] = alt
	}
	return attrs
}
