package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/telemetry"
)

// Command outcomes, the "result" attribute of the commands metric.
const (
	resultOK      = "ok"      // executed, acked
	resultFailed  = "failed"  // final *commands.Error, acked
	resultRetry   = "retry"   // transient error, nak'd with delay
	resultDropped = "dropped" // undecodable, foreign, expired or of a deleted session: terminated (message.failed when decodable)
)

// execute runs one command and settles it with JetStream: ack on nil or a
// final *commands.Error, NakWithDelay on any other error (later commands of
// the session wait for the retry), Term when it cannot ever succeed.
func (w *worker) execute(ctx context.Context, m jetstream.Msg) {
	defer w.sh.untrack(m)
	c := w.sh.c
	cmd, err := commands.Decode(m.Data())
	if err == nil && cmd.Session == w.id && cmd.Tenant != w.def.Tenant &&
		c.failCommand(ctx, m, cmd, commands.CodeSessionNotFound, "session does not belong to the tenant") {
		return // e.g. the id was deleted and re-created by another tenant
	}
	if err == nil && (cmd.Session != w.id || cmd.Tenant != w.def.Tenant) {
		err = errors.New("command names another session or tenant")
	}
	if err != nil {
		c.opts.Logger.Error("command dropped", "session", w.id, "shard", w.sh.n, "err", err)
		_ = m.TermWithReason(err.Error())
		c.metrics.command(ctx, resultDropped)
		return
	}
	ctx, span := c.startSpan(ctx, m, cmd)
	defer span.End()
	if reason := c.expired(m, cmd); reason != "" && cmd.Deadline.IsZero() {
		// Older than MaxAge (a Deadline is wa's to fail, with the chat it resolves).
		if c.failCommand(ctx, m, cmd, commands.CodeTimeout, reason) {
			return
		}
	}
	err = c.sessions.Execute(ctx, cmd)
	var final *commands.Error
	switch {
	case err == nil || errors.As(err, &final):
		w.ack(ctx, m, cmd, err)
	default:
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		w.retry(ctx, m, cmd, err)
	}
}

func (w *worker) ack(ctx context.Context, m jetstream.Msg, cmd commands.Command, execErr error) {
	c := w.sh.c
	result := resultOK
	if execErr != nil {
		result = resultFailed
		c.opts.Logger.Info("command failed", "session", w.id, "tenant", cmd.Tenant, "command", cmd.ID,
			"kind", cmd.Kind, "code", commands.CodeOf(execErr), "err", execErr)
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// A confirmed ack: after it the command is gone from the work queue, so
	// a handover never replays it.
	if err := m.DoubleAck(actx); err != nil {
		c.opts.Logger.Warn("command ack not confirmed; it may run again", "session", w.id, "command", cmd.ID, "err", err)
		return
	}
	c.metrics.command(ctx, result)
	if c.opts.Hooks.Acked != nil {
		c.opts.Hooks.Acked(c.opts.PodID, cmd.ID)
	}
}

func (w *worker) retry(ctx context.Context, m jetstream.Msg, cmd commands.Command, execErr error) {
	c := w.sh.c
	delivered := numDelivered(m)
	// Deliveries are not counted: an offline or banned session retries until
	// the command's Deadline or MaxAge, then it fails with message.failed.
	if reason := c.expired(m, cmd); reason != "" {
		c.opts.Logger.Error("command expired while retrying", "session", w.id, "tenant", cmd.Tenant,
			"command", cmd.ID, "deliveries", delivered, "err", execErr)
		if c.failCommand(ctx, m, cmd, commands.CodeTimeout, reason+": "+execErr.Error()) {
			return
		}
	}
	delay := retryDelay(c.opts.RetryDelay, delivered)
	c.opts.Logger.Warn("command will be retried", "session", w.id, "tenant", cmd.Tenant, "command", cmd.ID,
		"deliveries", delivered, "retry_in", delay, "err", execErr)
	if err := m.NakWithDelay(delay); err != nil {
		c.opts.Logger.Warn("nak failed; command redelivers after AckWait", "command", cmd.ID, "err", err)
	}
	w.blockSeq = streamSeq(m)
	w.blockUntil = time.Now().Add(delay + min(c.opts.AckWait, 10*time.Second))
	c.metrics.command(ctx, resultRetry)
}

// retryDelay doubles base per delivery, capped at one minute.
func retryDelay(base time.Duration, delivered uint64) time.Duration {
	d := base
	for i := uint64(1); i < delivered && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

// startSpan starts the command's span as a child of the gateway's trace
// (traceparent header, else the envelope's TraceParent).
func (c *Cluster) startSpan(ctx context.Context, m jetstream.Msg, cmd commands.Command) (context.Context, trace.Span) {
	if c.opts.Tracer == nil {
		return ctx, trace.SpanFromContext(ctx)
	}
	parent := remoteParent(ctx, m.Headers(), cmd.TraceParent)
	return c.opts.Tracer.Start(parent, "command "+string(cmd.Kind),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("wamesh.session", cmd.Session),
			attribute.String("wamesh.tenant", cmd.Tenant),
			attribute.String("wamesh.command.id", cmd.ID),
			attribute.Int64("wamesh.command.deliveries", int64(numDelivered(m))),
		))
}

func streamSeq(m jetstream.Msg) uint64 {
	md, err := m.Metadata()
	if err != nil {
		return 0
	}
	return md.Sequence.Stream
}

func numDelivered(m jetstream.Msg) uint64 {
	md, err := m.Metadata()
	if err != nil {
		return 1
	}
	return md.NumDelivered
}

// remoteParent returns ctx carrying the caller's trace: the NATS headers
// through the global propagator, else the raw traceparent header, else the
// envelope's TraceParent.
func remoteParent(ctx context.Context, h nats.Header, envelope string) context.Context {
	if h != nil {
		if p := telemetry.ExtractNATS(ctx, h); trace.SpanContextFromContext(p).IsValid() {
			return p
		}
		if p := telemetry.ContextWithTraceParent(ctx, h.Get("traceparent")); trace.SpanContextFromContext(p).IsValid() {
			return p
		}
	}
	return telemetry.ContextWithTraceParent(ctx, envelope)
}
