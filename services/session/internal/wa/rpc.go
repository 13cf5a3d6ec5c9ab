package wa

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	waevents "go.mau.fi/whatsmeow/types/events"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
)

// pairCodeValidity is how long WhatsApp accepts a pairing code.
const pairCodeValidity = 3 * time.Minute

// payload decodes an RPC payload, mapping errors to VALIDATION_FAILED.
func payload[T any](req commands.Request) (T, error) {
	var v T
	if len(req.Payload) == 0 {
		return v, nil
	}
	if err := json.Unmarshal(req.Payload, &v); err != nil {
		return v, badInput("payload of %s: %v", req.Op, err)
	}
	return v, nil
}

// Call serves one RPC for a running session.
func (m *Manager) Call(ctx context.Context, req commands.Request) (any, error) {
	s := m.get(req.Session)
	if s == nil {
		if req.Op == commands.OpStatus {
			return m.storedState(ctx, req)
		}
		return nil, final(commands.CodeSessionNotConnected, "session is not running (stopped or logged out)", nil)
	}
	if req.Tenant != "" && req.Tenant != s.tenant {
		return nil, final(commands.CodeSessionNotFound, "session not found", nil)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, commands.TimeoutWhatsApp)
		defer cancel()
	}
	ctx, span := m.tracer.Start(ctx, "whatsapp."+string(req.Op))
	defer span.End()
	out, err := s.call(ctx, req)
	if err != nil {
		span.RecordError(err)
		return nil, rpcError(string(req.Op), err)
	}
	return out, nil
}

// rpcError makes every RPC failure a *commands.Error.
func rpcError(op string, err error) error {
	err = classify(op, err)
	var ce *commands.Error
	if errors.As(err, &ce) {
		return ce
	}
	return final(commands.CodeSessionNotConnected, op+": session is not connected", err)
}

func (m *Manager) storedState(ctx context.Context, req commands.Request) (any, error) {
	st, _, err := control.Get[control.SessionState](ctx, m.states, req.Session)
	if errors.Is(err, control.ErrNotFound) {
		return nil, final(commands.CodeSessionNotFound, "session has no state", nil)
	}
	if err != nil || (req.Tenant != "" && st.Tenant != req.Tenant) {
		return nil, final(commands.CodeSessionNotFound, "session not found", err)
	}
	return st, nil
}

func (s *session) call(ctx context.Context, req commands.Request) (any, error) {
	if s.cli() == nil {
		return nil, final(commands.CodeSessionNotConnected, "session is starting", nil)
	}
	switch req.Op {
	case commands.OpStatus:
		return s.State(), nil
	case commands.OpQR:
		st := s.State()
		out := commands.QRResponse{Code: st.QR, Status: st.Status}
		if st.QRExpiresAt != nil {
			out.ExpiresAt = *st.QRExpiresAt
		}
		return out, nil
	case commands.OpPairCode:
		return s.rpcPairCode(ctx, req)
	case commands.OpLogout:
		if err := s.logout(ctx, "logout requested", false); err != nil {
			return nil, err
		}
		return struct{}{}, s.repair(ctx)
	}
	if err := s.ready(); err != nil {
		return nil, err
	}
	return s.callConnected(ctx, req)
}

// callConnected serves the RPCs that need a logged-in client.
func (s *session) callConnected(ctx context.Context, req commands.Request) (any, error) {
	switch req.Op {
	case commands.OpGroups:
		return s.rpcGroups(ctx)
	case commands.OpGroupInfo:
		return s.rpcGroupInfo(ctx, req)
	case commands.OpGroupCreate:
		return s.rpcGroupCreate(ctx, req)
	case commands.OpGroupInvite:
		return s.rpcGroupInvite(ctx, req)
	case commands.OpGroupJoin:
		return s.rpcGroupJoin(ctx, req)
	case commands.OpGroupLeave:
		return s.rpcGroupLeave(ctx, req)
	case commands.OpCheckNumbers:
		return s.rpcCheckNumbers(ctx, req)
	case commands.OpProfilePic:
		return s.rpcProfilePic(ctx, req)
	case commands.OpUserInfo:
		return s.rpcUserInfo(ctx, req)
	case commands.OpContacts:
		return s.rpcContacts(ctx)
	case commands.OpBlocklist:
		return s.rpcBlocklist(ctx, req)
	case commands.OpPrivacy:
		return s.rpcPrivacy(ctx)
	}
	return nil, badInput("unknown operation %q", req.Op)
}

func (s *session) rpcPairCode(ctx context.Context, req commands.Request) (any, error) {
	r, err := payload[commands.PairCodeRequest](req)
	if err != nil {
		return nil, err
	}
	phone := strings.TrimPrefix(strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(r.Phone), "+")
	if len(phone) < 7 || strings.Trim(phone, "0123456789") != "" {
		return nil, badInput("phone %q is not an international number", r.Phone)
	}
	cli := s.cli()
	if s.me.Load() != nil {
		return nil, final(commands.CodeConflict, "session is already paired", nil)
	}
	code, err := cli.PairPhone(ctx, phone, true, whatsmeow.PairClientChrome, "Chrome (Linux)")
	if err != nil {
		return nil, err
	}
	exp := time.Now().Add(pairCodeValidity).UTC()
	_ = s.setState(ctx, func(st *control.SessionState) { st.Status, st.Error = control.StatusPairing, "" })
	s.publishLifecycle(ctx, events.SessionPairCode, events.SessionPairCodeData{Code: code, Phone: phone, ExpiresAt: exp})
	return commands.PairCodeResponse{Code: code, ExpiresAt: exp}, nil
}

func (s *session) rpcCheckNumbers(ctx context.Context, req commands.Request) (any, error) {
	r, err := payload[commands.CheckRequest](req)
	if err != nil {
		return nil, err
	}
	if len(r.Phones) == 0 || len(r.Phones) > 500 {
		return nil, badInput("give 1 to 500 phones")
	}
	query := make([]string, len(r.Phones))
	for i, p := range r.Phones {
		query[i] = "+" + strings.TrimLeft(strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(p), "+")
	}
	res, err := s.cli().IsOnWhatsApp(ctx, query)
	if err != nil {
		return nil, err
	}
	byQuery := map[string]types.IsOnWhatsAppResponse{}
	for _, x := range res {
		byQuery[strings.TrimPrefix(x.Query, "+")] = x
	}
	out := make([]commands.CheckResult, len(r.Phones))
	for i, p := range r.Phones {
		x, ok := byQuery[strings.TrimPrefix(query[i], "+")]
		out[i] = commands.CheckResult{Input: p, IsOnWhatsApp: ok && x.IsIn}
		if ok && x.IsIn {
			out[i].JID = x.JID.String()
		}
	}
	return out, nil
}

func (s *session) rpcProfilePic(ctx context.Context, req commands.Request) (any, error) {
	r, err := payload[commands.JIDRequest](req)
	if err != nil {
		return nil, err
	}
	j, err := parseJID("jid", r.JID)
	if err != nil {
		return nil, err
	}
	pic, err := s.cli().GetProfilePictureInfo(ctx, j, &whatsmeow.GetProfilePictureParams{})
	if errors.Is(err, whatsmeow.ErrProfilePictureNotSet) || errors.Is(err, whatsmeow.ErrProfilePictureUnauthorized) {
		return commands.PictureResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	if pic == nil {
		return commands.PictureResponse{}, nil
	}
	return commands.PictureResponse{URL: pic.URL, ID: pic.ID}, nil
}

func (s *session) rpcUserInfo(ctx context.Context, req commands.Request) (any, error) {
	r, err := payload[commands.JIDsRequest](req)
	if err != nil {
		return nil, err
	}
	if len(r.JIDs) == 0 {
		return nil, badInput("jids are required")
	}
	jids := make([]types.JID, 0, len(r.JIDs))
	for _, x := range r.JIDs {
		j, err := parseJID("jid", x)
		if err != nil {
			return nil, err
		}
		jids = append(jids, j)
	}
	res, err := s.cli().GetUserInfo(ctx, jids)
	if err != nil {
		return nil, err
	}
	out := make([]commands.UserInfo, 0, len(res))
	for _, j := range jids {
		info, ok := res[j]
		if !ok {
			continue
		}
		u := commands.UserInfo{JID: j.String(), LID: jidOrEmpty(&info.LID), Status: info.Status, PictureID: info.PictureID}
		if info.VerifiedName != nil && info.VerifiedName.Details != nil {
			u.BusinessName = info.VerifiedName.Details.GetVerifiedName()
		}
		u.Devices = jidStrings(info.Devices)
		out = append(out, u)
	}
	return out, nil
}

func (s *session) rpcContacts(ctx context.Context) (any, error) {
	all, err := s.cli().Store.Contacts.GetAllContacts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]commands.ContactInfo, 0, len(all))
	for j, c := range all {
		out = append(out, commands.ContactInfo{JID: j.String(), FirstName: c.FirstName, FullName: c.FullName,
			PushName: c.PushName, BusinessName: c.BusinessName})
	}
	return out, nil
}

func (s *session) rpcBlocklist(ctx context.Context, req commands.Request) (any, error) {
	cli := s.cli()
	if len(req.Payload) > 0 && string(req.Payload) != "null" && string(req.Payload) != "{}" {
		r, err := payload[commands.BlockRequest](req)
		if err != nil {
			return nil, err
		}
		j, err := parseJID("jid", r.JID)
		if err != nil {
			return nil, err
		}
		action := waevents.BlocklistChangeActionUnblock
		if r.Block {
			action = waevents.BlocklistChangeActionBlock
		}
		if _, err := cli.UpdateBlocklist(ctx, j, action); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	}
	bl, err := cli.GetBlocklist(ctx)
	if err != nil {
		return nil, err
	}
	return jidStrings(bl.JIDs), nil
}

func (s *session) rpcPrivacy(ctx context.Context) (any, error) {
	p, err := s.cli().TryFetchPrivacySettings(ctx, true)
	if err != nil {
		return nil, err
	}
	return commands.PrivacySettings{
		"groupAdd": string(p.GroupAdd), "lastSeen": string(p.LastSeen), "status": string(p.Status),
		"profile": string(p.Profile), "readReceipts": string(p.ReadReceipts), "callAdd": string(p.CallAdd),
		"online": string(p.Online),
	}, nil
}
