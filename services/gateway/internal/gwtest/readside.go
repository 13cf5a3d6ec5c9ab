package gwtest

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/queries"
)

// ReadSide is a fake history and dispatcher: it answers every query with a
// small fixed result and records the requests it saw.
type ReadSide struct {
	requestsLock sync.Mutex
	requests     map[string][]json.RawMessage // by "<service>.<op>"
}

// StartReadSide serves wamesh.q.history.* and wamesh.q.dispatcher.*.
func StartReadSide(t testing.TB, e *Env) *ReadSide {
	t.Helper()
	r := &ReadSide{requests: map[string][]json.RawMessage{}}
	sub, err := e.NC.Subscribe("wamesh.q.>", r.answer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	// The gateway asks on its own connection: the subscription must be
	// registered on the server first, or it hears "no responders".
	if err := e.NC.Flush(); err != nil {
		t.Fatal(err)
	}
	return r
}

// Requests returns the raw requests seen for service.op.
func (r *ReadSide) Requests(serviceOp string) []json.RawMessage {
	r.requestsLock.Lock()
	defer r.requestsLock.Unlock()
	return append([]json.RawMessage(nil), r.requests[serviceOp]...)
}

func (r *ReadSide) answer(msg *nats.Msg) {
	key := strings.TrimPrefix(msg.Subject, "wamesh.q.")
	r.requestsLock.Lock()
	r.requests[key] = append(r.requests[key], append(json.RawMessage(nil), msg.Data...))
	r.requestsLock.Unlock()
	switch key {
	case "dispatcher." + queries.OpWebhookTest:
		_ = commands.Reply(msg, queries.WebhookTestResult{StatusCode: 200, LatencyMS: 3}, nil)
	case "dispatcher." + queries.OpWebhookRetry:
		_ = commands.Reply(msg, queries.WebhookRetryResult{Queued: true}, nil)
	case "dispatcher." + queries.OpWebhookReplay:
		_ = commands.Reply(msg, queries.WebhookReplayResult{Queued: 7}, nil)
	case "history." + queries.OpMessage:
		_ = commands.Reply(msg, nil, commands.Errorf(commands.CodeNotFound, "no such message"))
	default:
		_ = commands.Reply(msg, queries.Page[map[string]string]{Items: []map[string]string{{"seen": key}}, NextCursor: "c2"}, nil)
	}
}
