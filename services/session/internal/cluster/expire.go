package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
)

// A command accepted with 202 is never dropped silently. Waiting for a
// session that is not ready (starting, offline, temporarily banned) does
// not count deliveries (the consumer has no MaxDeliver); a command ends
// without running only through failCommand, which publishes message.failed
// first: TIMEOUT once its Deadline passed or it is older than MaxAge,
// SESSION_NOT_FOUND when its session no longer exists (or was re-created
// by another tenant).

// expiresAt is when cmd must be failed with TIMEOUT if it has not run: its
// Deadline, or MaxAge after it was accepted, whichever is first.
func (c *Cluster) expiresAt(m jetstream.Msg, cmd commands.Command) time.Time {
	at := c.acceptedAt(m, cmd).Add(c.opts.MaxAge)
	if !cmd.Deadline.IsZero() && cmd.Deadline.Before(at) {
		at = cmd.Deadline
	}
	return at
}

// acceptedAt is when the gateway accepted cmd.
func (c *Cluster) acceptedAt(m jetstream.Msg, cmd commands.Command) time.Time {
	if !cmd.CreatedAt.IsZero() {
		return cmd.CreatedAt
	}
	if md, err := m.Metadata(); err == nil {
		return md.Timestamp
	}
	return time.Now()
}

// unknownGrace is how long a command of a session missing from
// wamesh_sessions is retried before it fails with SESSION_NOT_FOUND: the
// gateway only accepts commands of existing sessions, but a KV read may lag
// the create by a moment (direct gets from a replica).
func (c *Cluster) unknownGrace() time.Duration {
	return min(10*time.Second, c.opts.MaxAge/2)
}

// expired returns why cmd must no longer wait, or "".
func (c *Cluster) expired(m jetstream.Msg, cmd commands.Command) string {
	if at := c.expiresAt(m, cmd); time.Now().After(at) {
		if !cmd.Deadline.IsZero() && !at.Before(cmd.Deadline) {
			return "deadline passed before the command could run"
		}
		return fmt.Sprintf("not executed within %s (session not ready)", c.opts.MaxAge)
	}
	return ""
}

// failCommand publishes message.failed for cmd, then terminates it. When the
// event cannot be published the command is left to the caller (false), so
// it is never lost without a trace.
func (c *Cluster) failCommand(ctx context.Context, m jetstream.Msg, cmd commands.Command, code commands.Code, reason string) bool {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// The id wa derives for its own message.failed: never two failures of one command.
	_, err := events.PublishNew(pctx, c.js, events.MessageFailed, events.Meta{Tenant: cmd.Tenant, Session: cmd.Session,
		Subject: cmd.Chat, ID: events.DeriveID(cmd.Session, cmd.ID, string(events.MessageFailed))},
		commands.FailedData(cmd, code, reason))
	if err != nil {
		c.opts.Logger.Warn("publish message.failed failed; command kept", "session", cmd.Session, "command", cmd.ID, "err", err)
		return false
	}
	c.opts.Logger.Warn("command failed without running", "session", cmd.Session, "tenant", cmd.Tenant,
		"command", cmd.ID, "code", code, "reason", reason)
	_ = m.TermWithReason(string(code) + ": " + reason)
	c.metrics.command(ctx, resultDropped)
	return true
}

// unknownSession settles a command of a session this shard has no worker
// for: SESSION_NOT_FOUND when the session is gone from wamesh_sessions,
// TIMEOUT when it expired, else a retry (the watch has not delivered the
// session yet).
func (s *shardRunner) unknownSession(m jetstream.Msg) {
	c := s.c
	cmd, err := commands.Decode(m.Data())
	if err != nil {
		c.opts.Logger.Error("command dropped", "shard", s.n, "err", err)
		_ = m.TermWithReason(err.Error())
		c.metrics.command(s.ctx, resultDropped)
		return
	}
	if reason := c.expired(m, cmd); reason != "" && c.failCommand(s.ctx, m, cmd, commands.CodeTimeout, reason) {
		return
	}
	if c.kvSessions != nil && time.Since(c.acceptedAt(m, cmd)) > c.unknownGrace() {
		ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
		_, err := c.kvSessions.Get(ctx, cmd.Session)
		cancel()
		if errors.Is(err, jetstream.ErrKeyNotFound) && c.failCommand(s.ctx, m, cmd, commands.CodeSessionNotFound, "session does not exist") {
			return
		}
	}
	_ = m.NakWithDelay(retryDelay(c.opts.RetryDelay, numDelivered(m)))
	c.metrics.command(s.ctx, resultRetry)
}

// requeueQueued hands the commands still queued for a deleted session back
// to JetStream: they may belong to a session re-created with the same id
// (dispatched before the watch delivered the delete). Redelivered, they
// reach the new session's worker, or fail as commands of an unknown session.
func (w *worker) requeueQueued() {
	msgs := append(w.takeHeld(), w.takeWaiting()...)
	for {
		select {
		case m := <-w.cmds:
			msgs = append(msgs, m)
			continue
		default:
		}
		break
	}
	for _, m := range msgs {
		w.sh.untrack(m)
		_ = m.NakWithDelay(w.sh.c.opts.RetryDelay)
	}
}

// waiting is a command received while its session is not ready (Start
// not applied yet, or failing): kept in order, failed once it expires.
type waiting struct {
	m       jetstream.Msg
	cmd     commands.Command
	decoded bool
	expires time.Time
}

func (w *worker) wait(m jetstream.Msg) {
	cmd, err := commands.Decode(m.Data())
	wt := waiting{m: m, cmd: cmd, decoded: err == nil}
	if wt.decoded {
		wt.expires = w.sh.c.expiresAt(m, cmd)
	}
	w.waiting = append(w.waiting, wt)
}

func (w *worker) takeWaiting() []jetstream.Msg {
	out := make([]jetstream.Msg, 0, len(w.waiting))
	for _, wt := range w.waiting {
		out = append(out, wt.m)
	}
	w.waiting = nil
	return out
}

// nextExpiry is when the first waiting command expires.
func (w *worker) nextExpiry() (time.Time, bool) {
	var first time.Time
	for _, wt := range w.waiting {
		if wt.decoded && (first.IsZero() || wt.expires.Before(first)) {
			first = wt.expires
		}
	}
	return first, !first.IsZero()
}

// expireWaiting fails the waiting commands that expired, keeping the order
// of the others.
func (w *worker) expireWaiting(ctx context.Context) {
	keep := w.waiting[:0]
	for _, wt := range w.waiting {
		if wt.decoded {
			if reason := w.sh.c.expired(wt.m, wt.cmd); reason != "" {
				if w.sh.c.failCommand(ctx, wt.m, wt.cmd, commands.CodeTimeout, reason) {
					w.sh.untrack(wt.m)
					continue
				}
			}
		}
		keep = append(keep, wt)
	}
	w.waiting = keep
}
