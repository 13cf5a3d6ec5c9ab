package cluster

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/wamesh/wamesh/pkg/commands"
)

// onRPC serves one request on wamesh.rpc.<shard>.<session>.<op>. It runs
// in its own goroutine so a slow WhatsApp round trip does not hold up the
// shard's other requests.
func (s *shardRunner) onRPC(msg *nats.Msg) {
	s.workersLock.Lock()
	defer s.workersLock.Unlock()
	if s.ctx.Err() != nil {
		s.reply(msg, nil, commands.ErrNoOwner)
		return
	}
	select {
	case s.c.rpcSlots <- struct{}{}:
	default:
		s.reply(msg, nil, commands.Errorf(commands.CodeRateLimited, "too many requests in flight on this session pod"))
		return
	}
	s.wg.Go(func() {
		defer func() { <-s.c.rpcSlots }()
		s.serveRPC(msg)
	})
}

func (s *shardRunner) serveRPC(msg *nats.Msg) {
	c := s.c
	req, rpcErr := s.checkRequest(msg)
	if rpcErr != nil {
		s.reply(msg, nil, rpcErr)
		return
	}
	ctx := remoteParent(s.ctx, msg.Header, req.TraceParent)
	if c.opts.Tracer != nil {
		var span trace.Span
		ctx, span = c.opts.Tracer.Start(ctx, "rpc "+string(req.Op), trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("wamesh.session", req.Session), attribute.String("wamesh.tenant", req.Tenant)))
		defer func() {
			if rpcErr != nil {
				span.SetStatus(codes.Error, rpcErr.Error())
			}
			span.End()
		}()
	}
	ctx, cancel := context.WithTimeout(ctx, commands.TimeoutWhatsApp)
	defer cancel()
	var data any
	data, rpcErr = c.sessions.Call(ctx, req)
	s.reply(msg, data, rpcErr)
}

// checkRequest decodes the request and checks it names the subject's
// session and op, and a session of the caller's tenant (anything else is
// SESSION_NOT_FOUND, so tenants cannot probe each other's sessions).
func (s *shardRunner) checkRequest(msg *nats.Msg) (commands.Request, error) {
	var req commands.Request
	if err := json.Unmarshal(msg.Data, &req); err != nil {
		return req, commands.Errorf(commands.CodeValidation, "undecodable rpc request: %v", err)
	}
	parts := strings.Split(msg.Subject, ".")
	if len(parts) != 5 || parts[3] != req.Session || parts[4] != string(req.Op) {
		return req, commands.Errorf(commands.CodeValidation, "rpc request does not match its subject %s", msg.Subject)
	}
	sess, ok := s.c.cache.Get(req.Session)
	if !ok || sess.Tenant != req.Tenant {
		return req, commands.Errorf(commands.CodeSessionNotFound, "session %s not found", req.Session)
	}
	return req, nil
}

func (s *shardRunner) reply(msg *nats.Msg, data any, err error) {
	if msg.Reply == "" {
		return
	}
	if rerr := commands.Reply(msg, data, err); rerr != nil {
		s.c.opts.Logger.Warn("rpc reply failed", "subject", msg.Subject, "err", rerr)
	}
}
