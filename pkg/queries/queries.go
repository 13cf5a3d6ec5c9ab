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
	var resp commands.Response
	if err := json.Unmarshal(reply.Data, &resp); err != nil {
		return fmt.Errorf("decode %s.%s response: %w", service, op, err)
	}
	if resp.Error != nil {
		return resp.Error
	}
	if out != nil && len(resp.Data) > 0 {
		if err := json.Unmarshal(resp.Data, out); err != nil {
			return fmt.Errorf("decode %s.%s data: %w", service, op, err)
		}
	}
	return nil
}

// CodeServiceUnavailable: the queried service has no running instance (503).
const CodeServiceUnavailable commands.Code = "SERVICE_UNAVAILABLE"
