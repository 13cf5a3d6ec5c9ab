package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
)

// liveEvent is one event of the tenant's stream with its stream sequence.
type liveEvent struct {
	Seq   uint64
	Type  events.Type
	Data  []byte // the CloudEvent JSON
	Event events.Event
}

// liveFilter is the parsed query of /v1/events and /v1/ws.
type liveFilter struct {
	Sessions []string
	Types    []string
	Since    uint64 // resume after this sequence; 0 = only new events
}

func splitList(s *string) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, v := range strings.Split(*s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// liveFilterOf checks the sessions against the caller (404 for foreign ones)
// and reads the resume point from since or Last-Event-ID.
func (s *Server) liveFilterOf(c echo.Context, sessions, types *string, since *int64) (liveFilter, error) {
	f := liveFilter{Sessions: splitList(sessions), Types: splitList(types)}
	slices.Sort(f.Sessions) // overlapping consumer filters are an error
	f.Sessions = slices.Compact(f.Sessions)
	p := principalOf(c)
	if p.Session != "" {
		if len(f.Sessions) > 1 || (len(f.Sessions) == 1 && f.Sessions[0] != p.Session) {
			return f, errSessionNotFound
		}
		f.Sessions = []string{p.Session}
	}
	for _, id := range f.Sessions {
		if !ids.Valid(id) {
			return f, validation("sessions: invalid session id")
		}
		if _, err := s.session(c, id); err != nil {
			return f, err
		}
	}
	for _, t := range f.Types {
		if !events.Known(events.Type(t)) && !strings.HasSuffix(t, ".*") && t != "*" {
			return f, validation("types: unknown event type " + t)
		}
	}
	if since != nil {
		f.Since = uint64(*since)
	}
	if h := c.Request().Header.Get("Last-Event-ID"); h != "" {
		n, err := strconv.ParseUint(h, 10, 64)
		if err != nil {
			return f, validation("Last-Event-ID: expected a stream sequence")
		}
		f.Since = n
	}
	return f, nil
}

// subscribe starts an ordered consumer on the tenant's events and returns
// a channel of matching events; it ends when ctx ends.
func (s *Server) subscribe(ctx context.Context, tenant string, f liveFilter) (<-chan liveEvent, error) {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy}
	if len(f.Sessions) == 0 {
		cfg.FilterSubjects = []string{events.FilterSubject(tenant, "", "")}
	}
	for _, id := range f.Sessions {
		cfg.FilterSubjects = append(cfg.FilterSubjects, events.FilterSubject(tenant, id, ""))
	}
	if f.Since > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, f.Since+1
	}
	cons, err := s.js.OrderedConsumer(ctx, events.StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("live consumer: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, fmt.Errorf("live messages: %w", err)
	}
	out := make(chan liveEvent, 64)
	go func() {
		<-ctx.Done()
		it.Stop()
	}()
	go func() {
		defer close(out)
		for {
			m, err := it.Next()
			if err != nil {
				return
			}
			ev, ok := matchLive(m, f)
			if !ok {
				continue
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func matchLive(m jetstream.Msg, f liveFilter) (liveEvent, bool) {
	meta, err := m.Metadata()
	if err != nil {
		return liveEvent{}, false
	}
	_, _, t, err := events.ParseSubject(m.Subject())
	if err != nil || !events.MatchAny(f.Types, t) {
		return liveEvent{}, false
	}
	ev, err := events.Decode(m.Data())
	if err != nil {
		return liveEvent{}, false
	}
	return liveEvent{Seq: meta.Sequence.Stream, Type: t, Data: m.Data(), Event: ev}, true
}

// writeSSE writes and flushes an SSE frame; the data is compacted to one
// line, as SSE requires.
func writeSSE(w http.ResponseWriter, ev liveEvent) error {
	data := ev.Data
	if bytes.ContainsAny(data, "\r\n") {
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			return fmt.Errorf("compact event: %w", err)
		}
		data = buf.Bytes()
	}
	if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.Seq, ev.Type, data); err != nil {
		return err
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}
