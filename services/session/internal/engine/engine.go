// Package engine is the seam between the two halves of the session service:
// the cluster half (membership, shard leases, per-shard command consumers and
// RPC subscriptions, see internal/cluster) decides WHICH sessions this pod
// runs and feeds it their work; the WhatsApp half (internal/wa) runs each
// session's whatsmeow client and does the work.
package engine

import (
	"context"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
)

// Sessions is implemented by the WhatsApp half and driven by the cluster half.
// All methods are safe for concurrent use; Execute calls for one session are
// made in order, one at a time, by the cluster half.
type Sessions interface {
	// Start brings up the client of a session this pod now owns (or applies a
	// changed definition to a running one). epoch is the shard lease revision
	// and must be written with every state update (fencing).
	Start(ctx context.Context, sess control.Session, epoch uint64) error
	// Stop disconnects a session this pod no longer owns (lease lost, shard
	// moved, shutdown) without logging it out. It returns once the connection
	// is closed.
	Stop(ctx context.Context, session string, reason string)
	// Delete logs the session out and wipes its device data (the session was
	// deleted from wamesh_sessions).
	Delete(ctx context.Context, session string) error
	// Execute runs one durable command. A nil error acks the command; an
	// error that is a *commands.Error is final (message.failed was published
	// and the command is acked); any other error means "retry later" (nak).
	Execute(ctx context.Context, cmd commands.Command) error
	// Call serves one RPC for a session this pod owns.
	Call(ctx context.Context, req commands.Request) (any, error)
	// Running reports the sessions with a live client.
	Running() []string
}
