// Package query serves history's read queries as the NATS micro service
// "history" on wamesh.q.history.<op>, per the pkg/queries contract. Every
// answer is scoped to the tenant of the request.
package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	jsoniter "github.com/json-iterator/go"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// fastJSON encodes answers like encoding/json, about twice as fast.
var fastJSON = jsoniter.ConfigCompatibleWithStandardLibrary

// Version of the micro service.
const Version = "1.0.0"

// Limits of a query.
const (
	queryTimeout = 5 * time.Second
	maxInFlight  = 32 // queries answered concurrently
)

// Server answers history queries from a Store.
type Server struct {
	store store.Store
	log   *slog.Logger
	sem   chan struct{}
}

// Start registers the "history" micro service on nc; Stop it to leave.
func Start(nc *nats.Conn, st store.Store, log *slog.Logger) (micro.Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: st, log: log, sem: make(chan struct{}, maxInFlight)}
	svc, err := micro.AddService(nc, micro.Config{
		Name:        queries.ServiceHistory,
		Version:     Version,
		Description: "chats, messages, contacts, groups and webhook deliveries",
	})
	if err != nil {
		return nil, fmt.Errorf("add history micro service: %w", err)
	}
	endpoints := map[string]micro.HandlerFunc{
		queries.OpChats:      handle(s, validateChats, s.store.Chats),
		queries.OpChat:       handle(s, validateChat, s.store.Chat),
		queries.OpMessages:   handle(s, validateMessages, s.store.Messages),
		queries.OpMessage:    handle(s, validateMessage, s.store.Message),
		queries.OpContacts:   handle(s, validateContacts, s.store.Contacts),
		queries.OpGroups:     handle(s, validateGroups, s.store.Groups),
		queries.OpDeliveries: handle(s, validateDeliveries, s.store.Deliveries),
	}
	for op, h := range endpoints {
		if err := svc.AddEndpoint(op, h, micro.WithEndpointSubject(queries.Subject(queries.ServiceHistory, op))); err != nil {
			_ = svc.Stop()
			return nil, fmt.Errorf("add history endpoint %s: %w", op, err)
		}
	}
	return svc, nil
}

// handle decodes Req, validates it, runs call and responds with the
// commands.Response envelope. Requests run concurrently, up to maxInFlight.
func handle[Req, Resp any](s *Server, validate func(*Req) error, call func(context.Context, Req) (Resp, error)) micro.HandlerFunc {
	return func(r micro.Request) {
		s.sem <- struct{}{}
		go func() {
			defer func() { <-s.sem }()
			data, err := serve(r.Data(), validate, call)
			s.respond(r, data, err)
		}()
	}
}

func serve[Req, Resp any](body []byte, validate func(*Req) error, call func(context.Context, Req) (Resp, error)) (any, error) {
	var req Req
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, commands.Errorf(commands.CodeValidation, "request is not valid JSON: %v", err)
	}
	if err := validate(&req); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	return call(ctx, req)
}

func (s *Server) respond(r micro.Request, data any, err error) {
	var body []byte
	if err == nil {
		body, err = envelope(data)
	}
	if err != nil {
		body, _ = json.Marshal(commands.Response{Error: s.toError(r.Subject(), err)})
	}
	if err := r.Respond(body); err != nil {
		s.log.Warn("respond to history query", "err", err, "subject", r.Subject())
	}
}

// envelope encodes data once, straight into the commands.Response
// envelope {"data":...}: the bytes json.Marshal(commands.Response{Data: raw})
// gives, without re-scanning the answer to compact it (its cost grows with
// the page).
func envelope(data any) ([]byte, error) {
	stream := fastJSON.BorrowStream(nil)
	defer fastJSON.ReturnStream(stream)
	stream.WriteRaw(`{"data":`)
	stream.WriteVal(data)
	stream.WriteRaw("}")
	if stream.Error != nil {
		return nil, fmt.Errorf("marshal response: %w", stream.Error)
	}
	return bytes.Clone(stream.Buffer()), nil
}

// toError maps store errors to machine codes; unexpected ones are logged
// and reported without internals.
func (s *Server) toError(subject string, err error) *commands.Error {
	var ce *commands.Error
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.Is(err, store.ErrBadCursor):
		return &commands.Error{Code: commands.CodeValidation, Message: "cursor is not valid for this list"}
	case errors.Is(err, store.ErrNotFound):
		return &commands.Error{Code: commands.CodeNotFound, Message: err.Error()}
	}
	s.log.Error("history query failed", "err", err, "subject", subject)
	return &commands.Error{Code: commands.CodeInternal, Message: "history query failed"}
}
