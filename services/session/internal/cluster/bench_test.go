package cluster

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// benchSessions executes instantly and counts.
type benchSessions struct{ executed atomic.Int64 }

func (b *benchSessions) Start(context.Context, control.Session, uint64) error { return nil }
func (b *benchSessions) Stop(context.Context, string, string)                 {}
func (b *benchSessions) Delete(context.Context, string) error                 { return nil }
func (b *benchSessions) Execute(context.Context, commands.Command) error {
	b.executed.Add(1)
	return nil
}
func (b *benchSessions) Call(context.Context, commands.Request) (any, error) { return nil, nil }
func (b *benchSessions) Running() []string                                   { return nil }

const benchSessionCount = 100

// publishCommands publishes n commands round-robin over the bench sessions
// with async publish, like a busy gateway.
func publishCommands(b *testing.B, js jetstream.JetStream, shards, n int) {
	b.Helper()
	for i := range n {
		s := fmt.Sprintf("s%03d", i%benchSessionCount)
		cmd := commands.Command{ID: fmt.Sprintf("c%d", i), Kind: commands.KindSendMessage, Tenant: "t1", Session: s, Payload: []byte(`{}`)}
		msg, err := cmd.Msg(shards, "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := js.PublishMsgAsync(msg); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("publish did not complete")
	}
}

// BenchmarkCommandsBaseline is the floor: the same publishes consumed by
// one plain pull consumer that acks (Ack) or confirms acks (DoubleAck),
// without sessions, ordering or spans.
func BenchmarkCommandsBaseline(b *testing.B) {
	for _, double := range []bool{false, true} {
		name := map[bool]string{false: "ack", true: "double_ack"}[double]
		b.Run(name, func(b *testing.B) {
			e := newBenchEnv(b)
			cons, err := e.js.CreateOrUpdateConsumer(testutil.Context(b), natsx.StreamCommands, jetstream.ConsumerConfig{
				Durable: "bench", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 4096,
			})
			if err != nil {
				b.Fatal(err)
			}
			var done atomic.Int64
			cc, err := cons.Consume(func(m jetstream.Msg) {
				if double {
					_ = m.DoubleAck(context.Background())
				} else {
					_ = m.Ack()
				}
				done.Add(1)
			})
			if err != nil {
				b.Fatal(err)
			}
			defer cc.Stop()
			b.ResetTimer()
			publishCommands(b, e.js, e.shards, b.N)
			waitCount(b, &done, b.N)
		})
	}
}

// BenchmarkCommandsCluster pushes the same load through one pod of the
// cluster: 16 shards, 100 sessions, per-session ordered workers, confirmed
// acks, spans off.
func BenchmarkCommandsCluster(b *testing.B) {
	e := newBenchEnv(b)
	for i := range benchSessionCount {
		s := control.Session{ID: fmt.Sprintf("s%03d", i), Tenant: "t1"}
		if _, err := control.Put(testutil.Context(b), e.kv(natsx.BucketSessions), s.ID, s); err != nil {
			b.Fatal(err)
		}
	}
	nc, js := e.connect("bench-pod")
	fake := &benchSessions{}
	var acked atomic.Int64
	c, err := New(nc, js, fake, Options{
		PodID: "bench-pod", Shards: e.shards, MemberTTL: e.ttl, LeaseTTL: e.ttl, ConnectJitter: time.Microsecond,
		Logger: testLogger("bench-pod"), Hooks: Hooks{Acked: func(string, string) { acked.Add(1) }},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	testutil.Eventually(b, 30*time.Second, c.Ready, "bench pod ready")
	b.ResetTimer()
	publishCommands(b, e.js, e.shards, b.N)
	waitCount(b, &acked, b.N)
}

func waitCount(b *testing.B, n *atomic.Int64, want int) {
	b.Helper()
	testutil.Eventually(b, 5*time.Minute, func() bool { return n.Load() >= int64(want) }, "%d of %d settled", n.Load(), want)
}

// newBenchEnv is newEnv for benchmarks (16 shards, 15s TTLs).
func newBenchEnv(b *testing.B) *env {
	b.Helper()
	srv := testutil.NATSServer(b)
	e := &env{t: nil, srv: srv, url: srv.ClientURL(), shards: 16, ttl: 15 * time.Second, l: newLedger()}
	e.tb = b
	e.nc, e.js = e.connect("bench")
	cfg := natsx.Config{Replicas: 1, EventsMaxAge: time.Hour, DedupWindow: time.Minute, MemberTTL: e.ttl, LeaseTTL: e.ttl}
	if err := natsx.Provision(testutil.Context(b), e.js, cfg); err != nil {
		b.Fatal(err)
	}
	return e
}
