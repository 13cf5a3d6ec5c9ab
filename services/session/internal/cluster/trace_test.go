package cluster

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// TestCommandSpanJoinsGatewayTrace: the span of a command is a child of
// the traceparent the gateway put on the NATS message.
func TestCommandSpanJoinsGatewayTrace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 15*time.Second)
	e.putSession("s1")
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	e.start("pod-a", func(o *Options) { o.Tracer = tp.Tracer("test") })
	testutil.Eventually(t, 10*time.Second, func() bool { return e.l.ownerOf("s1") == "pod-a" }, "started")

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	cmd := commands.Command{ID: "c1", Kind: commands.KindSendMessage, Tenant: "t1", Session: "s1", Payload: []byte(`{}`)}
	msg, err := cmd.Msg(e.shards, "")
	if err != nil {
		t.Fatal(err)
	}
	msg.Header = nats.Header{}
	msg.Header.Set("Nats-Msg-Id", "c1")
	msg.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	if _, err := e.js.PublishMsg(testutil.Context(t), msg); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() bool { return len(rec.Ended()) > 0 }, "command span ended")
	s := rec.Ended()[0]
	if s.Name() != "command send_message" || s.SpanContext().TraceID().String() != traceID || s.Parent().SpanID().String() != parentID {
		t.Errorf("span %q trace %s parent %s, want child of %s/%s", s.Name(), s.SpanContext().TraceID(), s.Parent().SpanID(), traceID, parentID)
	}
}
