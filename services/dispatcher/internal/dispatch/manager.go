package dispatch

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/natsx"
)

// onWebhookChange runs in the watch goroutine: it only notes deletions and
// wakes the manager.
func (d *Dispatcher) onWebhookChange(key string, _ control.Webhook, deleted bool) {
	if deleted {
		d.endpointsLock.Lock()
		d.deleted[key] = true
		d.endpointsLock.Unlock()
	}
	d.wake()
}

// manage reconciles the running endpoints with the webhooks on each change
// until ctx ends, and checks their event filters on the server every few
// minutes.
func (d *Dispatcher) manage(ctx context.Context) {
	tick := time.NewTicker(filterCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.changed:
			d.reconcile(ctx)
		case <-tick.C:
			d.endpointsLock.Lock()
			for _, e := range d.endpoints {
				e.checkFilters(ctx)
			}
			d.endpointsLock.Unlock()
		}
	}
}

// filterCheck is how often the event filters on the server are compared
// with the webhooks'.
const filterCheck = 5 * time.Minute

// wake asks the manager to reconcile again.
func (d *Dispatcher) wake() {
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// reconcile starts, restarts, updates or stops endpoints so exactly the
// enabled webhooks have one.
func (d *Dispatcher) reconcile(ctx context.Context) {
	all := d.webhooks.All(func(key string, w control.Webhook) bool {
		if key != w.ID || !ids.Valid(w.ID) || !ids.Valid(w.Tenant) {
			d.logger.Warn("webhook record ignored: id must equal its key and be [A-Za-z0-9_-]{1,64}", "key", key)
			return false
		}
		return true
	})
	d.endpointsLock.Lock()
	defer d.endpointsLock.Unlock()
	for id, w := range all {
		e, running := d.endpoints[id]
		switch {
		case !w.Enabled && running:
			e.stop()
			delete(d.endpoints, id)
		case !w.Enabled:
		case running && e.shape == d.shapeOf(w):
			e.update(ctx, w)
		default:
			if running {
				e.stop()
			}
			d.endpoints[id] = d.startEndpoint(ctx, w)
		}
	}
	for id := range d.deleted {
		if _, ok := all[id]; ok {
			continue // re-created
		}
		if e, ok := d.endpoints[id]; ok {
			e.stop()
			delete(d.endpoints, id)
		}
		d.forget(ctx, id)
	}
	clear(d.deleted)
}

// forget deletes a removed webhook's consumers and queued deliveries.
func (d *Dispatcher) forget(ctx context.Context, id string) {
	for stream, consumer := range map[string]string{natsx.StreamEvents: EventConsumerName(id), natsx.StreamDeliveries: ConsumerName(id)} {
		if err := d.js.DeleteConsumer(ctx, stream, consumer); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			d.logger.Warn("delete delivery consumer", "webhook", id, "consumer", consumer, "err", err)
		}
	}
	stream, err := d.js.Stream(ctx, natsx.StreamDeliveries)
	if err == nil {
		err = stream.Purge(ctx, jetstream.WithPurgeSubject(DeliverySubject(id)))
	}
	if err != nil {
		d.logger.Warn("purge deliveries", "webhook", id, "err", err)
	}
	// Its records in the dispatcher's buckets: failing-since, attempt
	// counts, exhausted deliveries (they could not be retried any more).
	// Purged by subject on the buckets' streams: one request each, no
	// delete markers left behind.
	for bucket, subject := range map[string]string{
		BucketHealth:   id,
		BucketAttempts: id + ".>",
		BucketFailed:   id + ".>",
	} {
		if err := purgeKV(ctx, d.js, bucket, subject); err != nil {
			d.logger.Warn("forget webhook records", "webhook", id, "bucket", bucket, "err", err)
		}
	}
}

// purgeKV removes the keys of a KV bucket that match a subject pattern
// (a key, or "<prefix>.>") from the bucket's stream.
func purgeKV(ctx context.Context, js jetstream.JetStream, bucket, keys string) error {
	stream, err := js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return err
	}
	return stream.Purge(ctx, jetstream.WithPurgeSubject("$KV."+bucket+"."+keys))
}

// sweepConsumers forgets webhooks deleted while no dispatcher was running.
func (d *Dispatcher) sweepConsumers(ctx context.Context) {
	gone := map[string]bool{}
	for stream, prefix := range map[string]string{natsx.StreamEvents: eventConsumerPrefix, natsx.StreamDeliveries: consumerPrefix} {
		s, err := d.js.Stream(ctx, stream)
		if err != nil {
			continue
		}
		names := s.ConsumerNames(ctx)
		for name := range names.Name() {
			id, ok := strings.CutPrefix(name, prefix)
			if _, exists := d.webhooks.Get(id); ok && !exists {
				gone[id] = true
			}
		}
	}
	for id := range gone {
		d.forget(ctx, id)
	}
}

// legacyFanoutConsumer is the consumer on WAMESH_EVENTS through which
// earlier versions copied every event into WAMESH_DELIVERIES.
const legacyFanoutConsumer = "dispatcher-fanout"

// upgradeKey, in BucketHealth, records where that consumer had got to when
// it was removed: "<stream sequence> <unix ms>". Webhook ids have no dots,
// so it is no webhook's key.
const upgradeKey = "fanout.floor"

// upgradeMark is the recorded upgrade: events up to floor were copied into
// WAMESH_DELIVERIES by the fan-out; webhooks created before at start after
// them instead of at their creation.
type upgradeMark struct {
	floor uint64
	at    time.Time
}

// upgradeFromFanout records where the fan-out of earlier versions stopped
// and deletes its consumer, then loads the record. Without it every
// webhook's new event consumer would start at the webhook's creation and
// resend what the fan-out had already queued. Old and new instances
// running side by side during a rolling update both deliver the events of
// that overlap (same webhook-id).
func (d *Dispatcher) upgradeFromFanout(ctx context.Context) {
	if c, err := d.js.Consumer(ctx, natsx.StreamEvents, legacyFanoutConsumer); err == nil {
		info, err := c.Info(ctx)
		if err == nil {
			rec := strconv.FormatUint(info.AckFloor.Stream, 10) + " " + strconv.FormatInt(time.Now().UnixMilli(), 10)
			_, err = d.healthKV.Create(ctx, upgradeKey, []byte(rec))
			if errors.Is(err, jetstream.ErrKeyExists) {
				err = nil // an instance before this one recorded it
			}
		}
		if err == nil {
			err = d.js.DeleteConsumer(ctx, natsx.StreamEvents, legacyFanoutConsumer)
		}
		if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			d.logger.Warn("upgrade from the shared fan-out consumer", "err", err)
		}
	}
	e, err := d.healthKV.Get(ctx, upgradeKey)
	if err != nil {
		return
	}
	floor, ms, _ := strings.Cut(string(e.Value()), " ")
	n, err1 := strconv.ParseUint(floor, 10, 64)
	t, err2 := strconv.ParseInt(ms, 10, 64)
	if err1 == nil && err2 == nil {
		d.upgrade = upgradeMark{floor: n, at: time.UnixMilli(t)}
	}
}

// stopAll stops every endpoint, waiting for in-flight attempts.
func (d *Dispatcher) stopAll() {
	d.endpointsLock.Lock()
	defer d.endpointsLock.Unlock()
	for id, e := range d.endpoints {
		e.stop()
		delete(d.endpoints, id)
	}
}
