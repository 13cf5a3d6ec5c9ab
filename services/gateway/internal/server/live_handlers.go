package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/services/gateway/api"
)

// keepAlive is the interval of SSE comments and WebSocket pings.
const keepAlive = 20 * time.Second

// StreamEvents serves the tenant's events as server-sent events.
func (s *Server) StreamEvents(c echo.Context, params api.StreamEventsParams) error {
	f, err := s.liveFilterOf(c, params.Sessions, params.Types, params.Since)
	if err != nil {
		return err
	}
	ctx, cancel := s.streamContext(c.Request().Context())
	defer cancel()
	ch, err := s.subscribe(ctx, principalOf(c).Tenant, f)
	if err != nil {
		return err
	}
	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set(echo.HeaderCacheControl, "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(": connected\n\n"))
	w.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return nil
			}
			w.Flush()
		case ev, ok := <-ch:
			if !ok {
				return nil
			}
			if err := writeSSE(w, ev); err != nil {
				return nil
			}
		}
	}
}

// wsFrame is one WebSocket text message.
type wsFrame struct {
	Seq   uint64       `json:"seq"`
	Event events.Event `json:"event"`
}

// WebsocketEvents serves the tenant's events over a WebSocket.
func (s *Server) WebsocketEvents(c echo.Context, params api.WebsocketEventsParams) error {
	f, err := s.liveFilterOf(c, params.Sessions, params.Types, params.Since)
	if err != nil {
		return err
	}
	// subscribe before the handshake, so nothing published after the
	// client sees the 101 is missed
	sctx, cancel := s.streamContext(c.Request().Context())
	defer cancel()
	ch, err := s.subscribe(sctx, principalOf(c).Tenant, f)
	if err != nil {
		return err
	}
	conn, err := websocket.Accept(c.Response(), c.Request(), &websocket.AcceptOptions{OriginPatterns: s.opts.CORSOrigins})
	if err != nil {
		return nil // Accept already answered
	}
	defer conn.CloseNow()
	ctx := conn.CloseRead(sctx)
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			_ = conn.Close(websocket.StatusNormalClosure, "")
			return nil
		case <-tick.C:
			if err := ping(ctx, conn); err != nil {
				return nil
			}
		case ev, ok := <-ch:
			if !ok {
				return nil
			}
			b, err := json.Marshal(wsFrame{Seq: ev.Seq, Event: ev.Event})
			if err != nil {
				continue
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err = conn.Write(wctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				return nil
			}
		}
	}
}

func ping(ctx context.Context, conn *websocket.Conn) error {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return conn.Ping(pctx)
}

// streamContext ends with the request or at server shutdown, whichever is first.
func (s *Server) streamContext(req context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(req)
	stop := context.AfterFunc(s.runCtx, cancel)
	return ctx, func() { stop(); cancel() }
}
