package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/jid"
	"github.com/wamesh/wamesh/pkg/queries"
)

// writeTimeout bounds a KV write and the wait for the cache to see it.
const writeTimeout = 5 * time.Second

// Accepted is the 202 body of a queued command.
type Accepted struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// queued answers 202 {"id": id, "status": "queued"}. Ids are plain ASCII, so
// the body is appended directly, as encoding/json would write it (newline
// included); any other id, or ?pretty, goes through c.JSON.
func queued(c echo.Context, id string) error {
	if !plainID(id) || c.Echo().Debug || c.QueryParams().Has("pretty") {
		return c.JSON(http.StatusAccepted, Accepted{ID: id, Status: "queued"})
	}
	b := make([]byte, 0, len(id)+len(`{"id":"","status":"queued"}`)+1)
	b = append(b, `{"id":"`...)
	b = append(b, id...)
	b = append(b, `","status":"queued"}`+"\n"...)
	return c.JSONBlob(http.StatusAccepted, b)
}

// plainID: id needs no escaping in a JSON string.
func plainID(id string) bool {
	for i := range len(id) {
		switch ch := id[i]; {
		case ch >= '0' && ch <= '9', ch >= 'A' && ch <= 'Z', ch >= 'a' && ch <= 'z', ch == '_', ch == '-', ch == '.':
		default:
			return false
		}
	}
	return true
}

// decode reads the JSON body (already validated against the spec) into v.
func decode(c echo.Context, v any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return problem(http.StatusBadRequest, codeMalformed, "body is not valid JSON for this route: "+err.Error())
	}
	return nil
}

var errSessionNotFound = problem(http.StatusNotFound, string(commands.CodeSessionNotFound), "no such session")

// session returns the caller's session id, or 404 when it does not exist,
// belongs to another tenant, or is not the session of a session token.
func (s *Server) session(c echo.Context, id string) (control.Session, error) {
	p := principalOf(c)
	sess, ok := s.sessions.Get(id)
	if !ok || sess.Tenant != p.Tenant || (p.Session != "" && p.Session != id) {
		return control.Session{}, errSessionNotFound
	}
	return sess, nil
}

// sendable refuses commands that can never run: the session is logged out
// (needs a new pairing) or stopped on request. A merely disconnected session
// queues them; the owner sends on reconnect.
func (s *Server) sendable(sess control.Session) error {
	st, ok := s.states.Get(sess.ID)
	switch {
	case sess.Stopped:
		return problem(http.StatusConflict, string(commands.CodeSessionNotConnected), "the session is stopped; restart it first")
	case ok && st.Tenant == sess.Tenant && st.Status == control.StatusLoggedOut:
		return problem(http.StatusConflict, string(commands.CodeSessionNotConnected), "the session is logged out; pair it again first")
	}
	return nil
}

// chatJID normalises the chat parameter.
func chatJID(field, raw string) (string, error) {
	j, err := jid.Normalize(raw)
	if err != nil {
		return "", validation(field + ": " + err.Error())
	}
	return j, nil
}

// groupJID normalises a group parameter; a direct chat is 400 NOT_A_GROUP.
func groupJID(raw string) (string, error) {
	j, err := chatJID("group", raw)
	if err != nil {
		return "", err
	}
	if !jid.IsGroup(j) {
		return "", problem(http.StatusBadRequest, string(commands.CodeNotAGroup), j+" is not a group")
	}
	return j, nil
}

func jids(field string, raw []string) ([]string, error) {
	out := make([]string, 0, len(raw))
	for i, r := range raw {
		j, err := chatJID(fmt.Sprintf("%s[%d]", field, i), r)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// enqueue publishes a durable command and waits for the stream's ack (or ctx).
func (s *Server) enqueue(ctx context.Context, cmd commands.Command, dedup string) error {
	cmd.TraceParent = events.TraceParent(ctx)
	msg, err := cmd.Msg(s.opts.Shards, dedup)
	if err != nil {
		return err
	}
	// Async publish pipelines concurrent requests on one connection (about
	// 3x the rate of PublishMsg here); the request still waits for its ack.
	f, err := s.js.PublishMsgAsync(msg, jetstream.WithExpectStream(commands.StreamName))
	if err != nil {
		return fmt.Errorf("publish command: %w", err)
	}
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		return fmt.Errorf("publish command: %w", err)
	case <-ctx.Done():
		return fmt.Errorf("publish command: %w", ctx.Err())
	}
}

// command builds, publishes and answers 202 for a command without a wait.
func (s *Server) command(c echo.Context, sess control.Session, kind commands.Kind, chat, messageID string, payload any) error {
	if err := s.sendable(sess); err != nil {
		return err
	}
	cmd, err := commands.NewCommand(kind, sess.Tenant, sess.ID, messageID, chat, payload)
	if err != nil {
		return err
	}
	if err := s.enqueue(c.Request().Context(), cmd, ""); err != nil {
		return err
	}
	return queued(c, cmd.ID)
}

// rpc calls the session owner with the tenant and trace context filled in.
func (s *Server) rpc(c echo.Context, sess control.Session, op commands.Op, timeout time.Duration, payload, out any) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), timeout)
	defer cancel()
	req := commands.Request{Tenant: sess.Tenant, Session: sess.ID, Op: op, TraceParent: events.TraceParent(ctx)}
	if payload != nil {
		raw, err := json.Marshal(payload)
		if err != nil {
			return fmt.Errorf("marshal %s payload: %w", op, err)
		}
		req.Payload = raw
	}
	return commands.Call(ctx, s.nc, s.opts.Shards, req, out)
}

// query asks history or the dispatcher.
func (s *Server) query(c echo.Context, service, op string, req, out any) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), commands.TimeoutLocal)
	defer cancel()
	return queries.Call(ctx, s.nc, service, op, req, out)
}

// writeCtx is a context for a control-plane write that outlives a client abort.
func writeCtx(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(c.Request().Context()), writeTimeout)
}

func isKeyExists(err error) bool { return errors.Is(err, jetstream.ErrKeyExists) }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
