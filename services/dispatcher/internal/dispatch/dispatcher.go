package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/services/dispatcher/internal/sender"
)

// Options tune delivery. Zero values get the defaults noted.
type Options struct {
	Schedule           []time.Duration // delay before retry n; attempts = len+1
	Jitter             float64         // ± fraction applied to each delay (0.2)
	AckWait            time.Duration   // redelivery after a crash; > request timeout
	FetchWait          time.Duration   // longest pull request (5s)
	DefaultConcurrency int             // in-flight requests per endpoint when the webhook says 0 (16)
	MaxParked          int             // retries waiting out their delay per endpoint (1000)
	BreakerThreshold   int             // consecutive failures that open the breaker; 0 = off
	BreakerCooldown    time.Duration   // how long an open breaker pauses an endpoint
	DisableAfter       time.Duration   // continuous failure that disables an endpoint (120h)
	FailedTTL          time.Duration   // how long exhausted deliveries stay retryable (30 days)
	Version            string          // reported by the micro service
}

func (o *Options) defaults() {
	if len(o.Schedule) == 0 {
		o.Schedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour, 24 * time.Hour, 24 * time.Hour}
	}
	setDefault(&o.AckWait, time.Minute)
	setDefault(&o.FetchWait, 5*time.Second)
	setDefault(&o.DisableAfter, 120*time.Hour)
	setDefault(&o.FailedTTL, 30*24*time.Hour)
	setDefault(&o.BreakerCooldown, 30*time.Second)
	if o.DefaultConcurrency <= 0 {
		o.DefaultConcurrency = 16
	}
	if o.MaxParked <= 0 {
		o.MaxParked = 1000
	}
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Deps are the dispatcher's collaborators.
type Deps struct {
	NC     *nats.Conn
	JS     jetstream.JetStream
	Sender *sender.Sender
	Logger *slog.Logger
	Meter  metric.Meter // nil = no metrics
}

// Dispatcher runs the endpoint workers and the operations.
type Dispatcher struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	sender  *sender.Sender
	logger  *slog.Logger
	opt     Options
	metrics *metrics

	webhooksKV jetstream.KeyValue
	webhooks   *control.Cache[control.Webhook]
	failed     *failedStore
	attempts   *attemptStore
	healthKV   jetstream.KeyValue

	endpointsLock sync.Mutex // guards endpoints and deleted
	endpoints     map[string]*endpoint
	deleted       map[string]bool
	changed       chan struct{}
	ready         chan struct{}
	upgrade       upgradeMark // set before the first reconcile
}

// New builds a Dispatcher; Run starts it.
func New(deps Deps, opt Options) (*Dispatcher, error) {
	opt.defaults()
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Meter == nil {
		deps.Meter = noop.NewMeterProvider().Meter("dispatcher")
	}
	d := &Dispatcher{
		nc: deps.NC, js: deps.JS, sender: deps.Sender, logger: deps.Logger, opt: opt,
		endpoints: map[string]*endpoint{}, deleted: map[string]bool{}, changed: make(chan struct{}, 1),
		ready: make(chan struct{}),
	}
	m, err := newMetrics(deps.Meter, d)
	if err != nil {
		return nil, err
	}
	d.metrics = m
	return d, nil
}

// Run works until ctx ends, then stops every worker (in-flight requests are
// cancelled and their messages handed back to JetStream) and returns. An
// end of ctx is not an error, even during start-up.
func (d *Dispatcher) Run(ctx context.Context) error {
	err := d.run(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (d *Dispatcher) run(ctx context.Context) error {
	if err := d.open(ctx); err != nil {
		return err
	}
	d.checkRetention(ctx)
	d.upgradeFromFanout(ctx)
	d.reconcile(ctx)
	defer d.stopAll()
	d.sweepConsumers(ctx)
	stopOps, err := d.serveOps(ctx)
	if err != nil {
		return err
	}
	defer stopOps()
	close(d.ready)
	d.manage(ctx)
	return nil
}

// Ready is closed once Run serves the operations and delivers.
func (d *Dispatcher) Ready() <-chan struct{} { return d.ready }

// open binds the KV buckets and starts watching webhooks.
func (d *Dispatcher) open(ctx context.Context) error {
	kv, err := d.js.KeyValue(ctx, natsx.BucketWebhooks)
	if err != nil {
		return fmt.Errorf("open %s: %w", natsx.BucketWebhooks, err)
	}
	d.webhooksKV = kv
	if d.failed, err = openFailedStore(ctx, d.js, d.opt.FailedTTL); err != nil {
		return err
	}
	if d.attempts, err = openAttemptStore(ctx, d.js, d.attemptsTTL()); err != nil {
		return err
	}
	if d.healthKV, err = openHealth(ctx, d.js); err != nil {
		return err
	}
	d.webhooks, err = control.Watch(ctx, kv, d.logger, control.OnChange(d.onWebhookChange))
	if err != nil {
		return fmt.Errorf("watch webhooks: %w", err)
	}
	return nil
}

// checkRetention warns when WAMESH_EVENTS may drop an event before its
// retries are over: an ordered webhook's failing event waits for its retry
// there (a later event must not overtake it), so it would be lost.
// Unordered webhooks' retries wait in WAMESH_DELIVERIES, which keeps them.
func (d *Dispatcher) checkRetention(ctx context.Context) {
	s, err := d.js.Stream(ctx, natsx.StreamEvents)
	if err != nil {
		return
	}
	var total time.Duration
	for _, delay := range d.opt.Schedule {
		total += time.Duration(float64(delay) * (1 + max(d.opt.Jitter, 0)))
	}
	if maxAge := s.CachedInfo().Config.MaxAge; maxAge > 0 && maxAge < total {
		d.logger.Warn("WAMESH_EVENTS keeps events for less than the retry schedule lasts; a failing delivery to an ordered webhook may lose its event",
			"eventsMaxAge", maxAge, "retrySchedule", total)
	}
}

// attemptsTTL is how long an attempt count must survive: longer than any
// wait between two attempts (the longest scheduled delay with jitter, or a
// Retry-After of up to 24 h) with room for a redelivery, and at least as
// long as exhausted deliveries are kept.
func (d *Dispatcher) attemptsTTL() time.Duration {
	longest := 24 * time.Hour
	for _, s := range d.opt.Schedule {
		longest = max(longest, time.Duration(float64(s)*(1+max(d.opt.Jitter, 0))))
	}
	return max(d.opt.FailedTTL, 2*longest+d.opt.AckWait)
}

// retryDelay returns the wait before the retry after attempt n (1-based),
// or exhausted when n was the last attempt. A Retry-After from the
// endpoint replaces the schedule's delay.
func (d *Dispatcher) retryDelay(n int, retryAfter time.Duration) (time.Duration, bool) {
	if n > len(d.opt.Schedule) {
		return 0, true
	}
	if retryAfter > 0 {
		return retryAfter, false
	}
	base := d.opt.Schedule[max(n, 1)-1]
	if d.opt.Jitter <= 0 {
		return base, false
	}
	f := 1 + d.opt.Jitter*(2*rand.Float64()-1)
	return time.Duration(float64(base) * f), false
}
