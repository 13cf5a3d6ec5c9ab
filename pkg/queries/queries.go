// Package queries is the contract of the read-side services answered over
// NATS request/reply (nats micro): history's chat, message, contact and
// delivery queries, and the dispatcher's webhook operations. Subjects are
// wamesh.q.<service>.<op>; every request carries the caller's tenant and the
// server scopes every answer to it.
package queries

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/wamesh/wamesh/pkg/commands"
)

// Services answering queries (the micro service names).
const (
	ServiceHistory    = "history"
	ServiceDispatcher = "dispatcher"
)

// Subject returns wamesh.q.<service>.<op>.
func Subject(service, op string) string { return "wamesh.q." + service + "." + op }

// Call sends a query and decodes the answer into out. Errors come back as
// *commands.Error (same codes as RPC); no responders as CodeSessionUnavailable
// is wrong here, so it is reported as CodeInternal "service unavailable".
func Call(ctx context.Context, nc *nats.Conn, service, op string, req, out any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("marshal %s.%s request: %w", service, op, err)
	}
	reply, err := nc.RequestWithContext(ctx, Subject(service, op), body)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return &commands.Error{Code: CodeServiceUnavailable, Message: service + " service is not running"}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout):
		return &commands.Error{Code: commands.CodeTimeout, Message: service + " did not answer in time"}
	case err != nil:
		return fmt.Errorf("query %s.%s: %w", service, op, err)
	}
	rpcErr, err := decodeResponse(reply.Data, out)
	if err != nil {
		return fmt.Errorf("%s.%s: %w", service, op, err)
	}
	if rpcErr != nil {
		return rpcErr
	}
	return nil
}

// CodeServiceUnavailable: the queried service has no running instance (503).
const CodeServiceUnavailable commands.Code = "SERVICE_UNAVAILABLE"

// decodeResponse decodes a commands.Response envelope in one pass: the data
// goes straight into out instead of through an intermediate RawMessage.
func decodeResponse(b []byte, out any) (*commands.Error, error) {
	resp := struct {
		Data  any             `json:"data"`
		Error *commands.Error `json:"error"`
	}{Data: out}
	if out == nil {
		resp.Data = &json.RawMessage{}
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	return resp.Error, nil
}
