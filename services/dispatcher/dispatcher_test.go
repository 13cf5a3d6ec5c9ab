package dispatcher_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/config"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/dispatcher"
)

func TestConfigDefaultsAndValidation(t *testing.T) {
	t.Parallel()
	var cfg dispatcher.Config
	if err := config.LoadFrom(&cfg, map[string]string{}); err != nil {
		t.Fatalf("defaults do not load: %v", err)
	}
	if len(cfg.RetrySchedule) != 9 || cfg.Timeout != 15*time.Second || cfg.SSRF.AllowPrivate {
		t.Errorf("defaults: schedule %v timeout %s allowPrivate %v", cfg.RetrySchedule, cfg.Timeout, cfg.SSRF.AllowPrivate)
	}
	bad := map[string]string{
		"WAMESH_DISPATCHER_RETRY_SCHEDULE": "5s,-1s",
		"WAMESH_DISPATCHER_ACK_WAIT":       "10s",
		"WAMESH_ALLOWED_CIDRS":             "10.0.0.0/99",
		"WAMESH_DISPATCHER_RETRY_JITTER":   "1.5",
	}
	for k, v := range bad {
		var c dispatcher.Config
		err := config.LoadFrom(&c, map[string]string{k: v})
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: error %v does not name the variable", k, v, err)
		}
	}
}

// TestRunDelivers runs the service as the binary does and delivers one event.
func TestRunDelivers(t *testing.T) {
	t.Parallel()
	s := testutil.NATSServer(t)
	var got atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("User-Agent"), "wamesh/") && r.Header.Get("webhook-signature") != "" {
			got.Add(1)
		}
	}))
	t.Cleanup(recv.Close)
	var cfg dispatcher.Config
	if err := config.LoadFrom(&cfg, map[string]string{
		"WAMESH_NATS_URL": s.ClientURL(), "WAMESH_DISPATCHER_ADDR": "off", "WAMESH_ALLOWED_CIDRS": "127.0.0.1/32", "WAMESH_LOG_LEVEL": "error",
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testutil.Context(t))
	done := make(chan error, 1)
	go func() { done <- dispatcher.Run(ctx, cfg) }()

	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	var kv jetstream.KeyValue
	testutil.EventuallyNoError(t, 10*time.Second, func() error { // provisioned by Run
		kv, err = js.KeyValue(ctx, natsx.BucketWebhooks)
		return err
	})
	w := control.Webhook{ID: "wh1", Tenant: "t1", URL: recv.URL, Enabled: true, Secrets: []control.Secret{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}}
	if _, err := control.Put(ctx, kv, "wh1", w); err != nil {
		t.Fatal(err)
	}
	if _, err := events.PublishNew(ctx, js, events.MessageReceived, events.Meta{Tenant: "t1", Session: "s1"}, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, func() bool { return got.Load() == 1 }, "delivered through Run")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
