package dispatch_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/ssrf"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/dispatcher/internal/dispatch"
	"github.com/wamesh/wamesh/services/dispatcher/internal/sender"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// env is one test's NATS server, provisioned, plus helpers.
type env struct {
	t   testing.TB
	ctx context.Context
	url string
	nc  *nats.Conn
	js  jetstream.JetStream
	kv  jetstream.KeyValue
}

func newEnv(t testing.TB) *env {
	t.Helper()
	s := testutil.NATSServer(t)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	ctx := testutil.Context(t)
	cfg := natsx.Config{Replicas: 1, EventsMaxAge: time.Hour, DedupWindow: 2 * time.Minute, MemberTTL: 15 * time.Second, LeaseTTL: 15 * time.Second}
	if err := natsx.Provision(ctx, js, cfg); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, natsx.BucketWebhooks)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, url: s.ClientURL(), nc: nc, js: js, kv: kv}
}

// fastOptions retry in milliseconds.
func fastOptions() dispatch.Options {
	return dispatch.Options{
		Schedule: []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond},
		AckWait:  5 * time.Second, FetchWait: 500 * time.Millisecond, DefaultConcurrency: 8,
	}
}

var loopbackOnly = ssrf.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}

func testLogger() *slog.Logger {
	if os.Getenv("WAMESH_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// start runs a dispatcher on its own connection until the returned stop is
// called (or the test ends). stop waits for Run to return.
func (e *env) start(opt dispatch.Options) (stop func()) {
	stop, _ = e.startKillable(opt)
	return stop
}

// startKillable is start plus kill: the connection is cut first, so no ack,
// nak or outcome of the work in flight reaches NATS, then Run is cancelled.
func (e *env) startKillable(opt dispatch.Options) (stop, kill func()) {
	e.t.Helper()
	nc, err := nats.Connect(e.url)
	if err != nil {
		e.t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	d, err := dispatch.New(dispatch.Deps{
		NC: nc, JS: js, Logger: testLogger(),
		Sender: sender.New(sender.Options{Policy: loopbackOnly, Timeout: 5 * time.Second, MaxIdleConnsPerHost: 64, UserAgent: "wamesh/test"}),
	}, opt)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(ctx); err != nil {
			e.t.Errorf("dispatcher Run: %v", err)
		}
	}()
	select {
	case <-d.Ready():
	case <-done:
		e.t.Fatal("dispatcher stopped before it was ready")
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			nc.Close()
		})
	}
	kill = func() {
		once.Do(func() {
			nc.Close()
			cancel()
			<-done
		})
	}
	e.t.Cleanup(stop)
	return stop, kill
}

// webhook stores a webhook for tenant t1 pointing at url.
func (e *env) webhook(id, url string, mutate ...func(*control.Webhook)) control.Webhook {
	e.t.Helper()
	w := control.Webhook{
		ID: id, Tenant: "t1", URL: url, Secrets: []control.Secret{{Value: testSecret}},
		Enabled: true, CreatedAt: time.Now().Add(-time.Minute), UpdatedAt: time.Now(),
	}
	for _, m := range mutate {
		m(&w)
	}
	if _, err := control.Put(e.ctx, e.kv, id, w); err != nil {
		e.t.Fatal(err)
	}
	return w
}

// publish publishes n message.received events for t1/s1 and returns their ids.
func (e *env) publish(n int) []string {
	e.t.Helper()
	out := make([]string, n)
	for i := range n {
		ev, err := events.PublishNew(e.ctx, e.js, events.MessageReceived, events.Meta{Tenant: "t1", Session: "s1"}, map[string]int{"n": i})
		if err != nil {
			e.t.Fatal(err)
		}
		out[i] = ev.ID
	}
	return out
}

// outcomes returns the delivery outcome events of tenant t1 stored so far.
func (e *env) outcomes() []events.Event {
	e.t.Helper()
	stream, err := e.js.Stream(e.ctx, natsx.StreamEvents)
	if err != nil {
		e.t.Fatal(err)
	}
	oc, err := stream.OrderedConsumer(e.ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"wamesh.events.t1._.webhook.>"}})
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := oc.Info(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []events.Event
	for range info.NumPending {
		m, err := oc.Next(jetstream.FetchMaxWait(2 * time.Second))
		if err != nil {
			e.t.Fatal(err)
		}
		ev, err := events.Decode(m.Data())
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// received is one request seen by a receiver.
type received struct {
	header  http.Header
	body    []byte
	eventID string // from the body
	n       int    // the "n" of the test payload
}

// receiver is a local webhook endpoint whose answer is programmable.
type receiver struct {
	*httptest.Server
	reqsLock sync.Mutex // guards reqs
	reqs     []received
	ok       []received                      // requests answered 2xx, in order
	respond  func(r received, count int) int // status for the count-th request (1-based)
}

func newReceiver(t testing.TB, respond func(r received, count int) int) *receiver {
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var ev struct {
		ID   string `json:"id"`
		Data struct {
			N int `json:"n"`
		} `json:"data"`
	}
	_ = json.Unmarshal(b, &ev)
	got := received{header: r.Header.Clone(), body: b, eventID: ev.ID, n: ev.Data.N}
	rc.reqsLock.Lock()
	rc.reqs = append(rc.reqs, got)
	count := len(rc.reqs)
	rc.reqsLock.Unlock()
	status := 200
	if rc.respond != nil {
		status = rc.respond(got, count)
	}
	if status >= 200 && status < 300 {
		rc.reqsLock.Lock()
		rc.ok = append(rc.ok, got)
		rc.reqsLock.Unlock()
	}
	w.WriteHeader(status)
}

func (rc *receiver) requests() []received {
	rc.reqsLock.Lock()
	defer rc.reqsLock.Unlock()
	return append([]received(nil), rc.reqs...)
}

func (rc *receiver) delivered() []received {
	rc.reqsLock.Lock()
	defer rc.reqsLock.Unlock()
	return append([]received(nil), rc.ok...)
}

// countByEvent counts requests per event id.
func countByEvent(reqs []received) map[string]int {
	m := map[string]int{}
	for _, r := range reqs {
		m[r.eventID]++
	}
	return m
}

// natsMsg builds an event message with a given dedup id.
type natsMsg struct {
	subj, id string
	body     []byte
}

func (m natsMsg) msg() *nats.Msg {
	msg := nats.NewMsg(m.subj)
	msg.Data = m.body
	msg.Header.Set(jetstream.MsgIDHeader, m.id)
	return msg
}

func itoaTest(i int) string { return strconv.Itoa(i) }
