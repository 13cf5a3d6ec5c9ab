package cluster

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/shard"
	"github.com/wamesh/wamesh/services/session/internal/devicestore"
)

// deviceBindings is implemented by an engine that binds WhatsApp devices
// to sessions (wa.Manager). A session id can be deleted while no pod owns
// its shard and then created again, by another tenant too: the device of
// the old session must never reach the new one.
type deviceBindings interface {
	// ClaimDevice runs before the first Start of a session on this pod; it
	// refuses (wipes) a device bound to another definition.
	ClaimDevice(ctx context.Context, def control.Session) error
	// Bindings lists every stored binding.
	Bindings(ctx context.Context) ([]devicestore.Claimed, error)
	// DeleteOrphan logs out and wipes the binding of a deleted session.
	DeleteOrphan(ctx context.Context, c devicestore.Claimed) error
}

// claimDevice is the ClaimDevice of the engine, when it has one.
func (c *Cluster) claimDevice(ctx context.Context, def control.Session) error {
	if d, ok := c.sessions.(deviceBindings); ok {
		return d.ClaimDevice(ctx, def)
	}
	return nil
}

// sweepOrphans deletes the device bindings of this shard whose session is
// gone from wamesh_sessions: deletes missed while no pod owned the shard,
// or failed until the previous owner stopped. It reads the bucket, not the
// cache, so a session the watch has not delivered yet is never taken for
// deleted; a session re-created meanwhile has a new binding, which
// DeleteOrphan leaves alone.
func (s *shardRunner) sweepOrphans(ctx context.Context) {
	d, ok := s.c.sessions.(deviceBindings)
	if !ok || s.c.kvSessions == nil {
		return
	}
	all, err := d.Bindings(ctx)
	if err != nil {
		s.c.opts.Logger.Warn("orphan sweep: list device bindings", "shard", s.n, "err", err)
		return
	}
	for _, b := range all {
		if shard.Of(b.Session, s.c.opts.Shards) != s.n || s.worker(b.Session) != nil {
			continue
		}
		_, err := s.c.kvSessions.Get(ctx, b.Session)
		if err == nil {
			continue
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			s.c.opts.Logger.Warn("orphan sweep: read session", "session", b.Session, "shard", s.n, "err", err)
			continue
		}
		if err := d.DeleteOrphan(ctx, b); err != nil {
			s.c.opts.Logger.Error("orphan sweep: delete device", "session", b.Session, "shard", s.n, "err", err)
		}
	}
}
