package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Op is a synchronous operation served by a session's owner.
type Op string

// RPC operations.
const (
	OpQR           Op = "qr"            // -> QRResponse
	OpPairCode     Op = "pair_code"     // PairCodeRequest -> PairCodeResponse
	OpLogout       Op = "logout"        // -> {}
	OpStatus       Op = "status"        // -> control.SessionState
	OpGroups       Op = "groups"        // -> []GroupInfo
	OpGroupInfo    Op = "group_info"    // GroupRequest -> GroupInfo
	OpGroupCreate  Op = "group_create"  // GroupCreateRequest -> GroupInfo
	OpGroupInvite  Op = "group_invite"  // GroupRequest{Reset} -> InviteResponse
	OpGroupJoin    Op = "group_join"    // JoinRequest -> GroupInfo
	OpGroupLeave   Op = "group_leave"   // GroupRequest -> {}
	OpCheckNumbers Op = "check_numbers" // CheckRequest -> []CheckResult
	OpProfilePic   Op = "profile_pic"   // JIDRequest -> PictureResponse
	OpUserInfo     Op = "user_info"     // JIDsRequest -> []UserInfo
	OpContacts     Op = "contacts"      // -> []ContactInfo
	OpBlocklist    Op = "blocklist"     // -> []string / BlockRequest -> {}
	OpPrivacy      Op = "privacy"       // -> map of settings
)

// Timeouts of DESIGN §5.
const (
	TimeoutLocal    = 5 * time.Second  // local reads (state, QR)
	TimeoutWhatsApp = 30 * time.Second // one round trip to WhatsApp
)

// Request is an RPC request envelope.
type Request struct {
	Tenant      string          `json:"tenant"`                // caller's tenant (checked by the owner)
	Session     string          `json:"session"`               // target session
	Op          Op              `json:"op"`                    // operation
	Payload     json.RawMessage `json:"payload,omitempty"`     // op-specific
	TraceParent string          `json:"traceparent,omitempty"` // W3C trace context
}

// Response is an RPC response envelope: exactly one of Data or Error.
type Response struct {
	Data  json.RawMessage `json:"data,omitempty"`
	Error *Error          `json:"error,omitempty"`
}

// ErrNoOwner is returned by Call when nobody serves the session's shard.
var ErrNoOwner = &Error{Code: CodeSessionUnavailable, Message: "no session pod owns this session right now"}

// Call sends an RPC to the owner of req.Session and decodes the result into
// out (may be nil). Owner errors come back as *Error; no responders as
// ErrNoOwner; a timeout as CodeTimeout.
func Call(ctx context.Context, nc *nats.Conn, shards int, req Request, out any) error {
	subj, err := RPCSubject(shards, req.Session, req.Op)
	if err != nil {
		return &Error{Code: CodeValidation, Message: err.Error()}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("marshal rpc request: %w", err)
	}
	msg := nats.NewMsg(subj)
	msg.Data = body
	if req.TraceParent != "" {
		msg.Header.Set("traceparent", req.TraceParent)
	}
	reply, err := nc.RequestMsgWithContext(ctx, msg)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return ErrNoOwner
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout):
		return &Error{Code: CodeTimeout, Message: fmt.Sprintf("%s did not answer in time", req.Op)}
	case err != nil:
		return fmt.Errorf("rpc %s: %w", req.Op, err)
	}
	var resp Response
	if err := json.Unmarshal(reply.Data, &resp); err != nil {
		return fmt.Errorf("decode rpc %s response: %w", req.Op, err)
	}
	if resp.Error != nil {
		return resp.Error
	}
	if out != nil && len(resp.Data) > 0 {
		if err := json.Unmarshal(resp.Data, out); err != nil {
			return fmt.Errorf("decode rpc %s data: %w", req.Op, err)
		}
	}
	return nil
}

// Reply answers an RPC request message with data or an error.
func Reply(msg *nats.Msg, data any, rpcErr error) error {
	var resp Response
	if rpcErr != nil {
		var e *Error
		if !errors.As(rpcErr, &e) {
			e = &Error{Code: CodeInternal, Message: rpcErr.Error()}
		}
		resp.Error = e
	} else if data != nil {
		raw, err := json.Marshal(data)
		if err != nil {
			resp.Error = &Error{Code: CodeInternal, Message: "marshal response: " + err.Error()}
		} else {
			resp.Data = raw
		}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return fmt.Errorf("marshal rpc response: %w", err)
	}
	return msg.Respond(b)
}
