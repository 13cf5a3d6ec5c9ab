package dispatch

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/time/rate"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/services/dispatcher/internal/sender"
	"github.com/wamesh/wamesh/services/dispatcher/internal/signing"
)

// publishTimeout bounds recording an outcome, even during shutdown.
const publishTimeout = 5 * time.Second

// attempt delivers one message once and settles it: ack on success, a
// delayed nak for a retry, term when the retries are exhausted. release
// frees the endpoint's slot as soon as the request is over, so recording the
// outcome overlaps with the next requests.
// md is m's metadata, nil if unreadable.
func (e *endpoint) attempt(ctx context.Context, m jetstream.Msg, md *jetstream.MsgMetadata, release func()) {
	w, ok := e.d.webhooks.Get(e.id)
	switch {
	case !ok: // deleted: its deliveries go with it
		_ = m.Term()
		return
	case !w.Enabled: // the endpoint stops shortly; keep the message
		_ = m.NakWithDelay(time.Minute)
		return
	}
	dl, wanted, err := e.deliveryOf(m, md, w)
	switch {
	case err != nil:
		e.d.logger.Warn("malformed message terminated", "webhook", e.id, "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	case !wanted: // passed the server's filters only (see webhookFilters)
		_ = m.Ack()
		return
	}
	if wait := time.Until(dl.NotBefore); wait > 0 { // a retry, moved here early
		_ = m.NakWithDelay(wait)
		return
	}
	if e.movedBefore(ctx, m, md, dl) {
		return
	}
	if !e.paced(ctx, m) {
		_ = m.Nak()
		return
	}
	n, counted := e.attemptNumber(ctx, dl, md)
	if md != nil {
		dl.delivered = md.NumDelivered
	}
	res := e.d.sender.Send(ctx, sender.Request{URL: w.URL, Headers: w.Headers, Signer: e.signer(w), ID: dl.EventID, Body: dl.Body})
	if ctx.Err() != nil && !res.Delivered() {
		_ = m.Nak() // shutting down: not the endpoint's fault, not an attempt
		return
	}
	e.trip(res)
	if !e.shape.ordered {
		release() // ordered: the next request waits for this one's ack anyway
	}
	e.d.metrics.attempted(ctx, res)
	if res.Delivered() {
		if counted {
			e.forgetAttempts(ctx, dl)
		}
		e.succeeded(context.WithoutCancel(ctx), m, w, dl, n, res)
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	switch {
	case res.Gone():
		e.d.disable(pctx, w.ID, "endpoint returned 410 Gone")
		e.recordAttempt(pctx, dl, n)
		e.d.publishAttempt(pctx, events.WebhookAttemptFailed, w, dl, n, res, nil)
		e.retryLater(pctx, m, dl, n, e.d.opt.Schedule[0])
	default:
		e.failed(pctx, m, w, dl, n, res)
	}
}

// paced waits for the endpoint's rate limit, telling JetStream the message
// is still being worked on so a long wait does not trigger a redelivery.
// False when ctx ended.
func (e *endpoint) paced(ctx context.Context, m jetstream.Msg) bool {
	if e.limiter.Limit() == rate.Inf {
		return true // no rate limit: skip the reservation and its allocation
	}
	r := e.limiter.Reserve()
	for wait := r.Delay(); wait > 0; wait = r.Delay() {
		step := min(wait, e.d.opt.AckWait/2)
		waitFor(ctx, step)
		if ctx.Err() != nil {
			r.Cancel()
			return false
		}
		if step < wait {
			_ = m.InProgress()
		}
	}
	return true
}

// trip feeds the breaker before the slot is freed, so an opening breaker
// stops the very next request.
func (e *endpoint) trip(res sender.Result) {
	if res.Delivered() {
		e.breaker.success()
	} else if e.breaker.failure(time.Now()) {
		e.d.logger.Info("circuit open", "webhook", e.id, "cooldown", e.d.opt.BreakerCooldown)
	}
}

// succeeded hands the delivery to the settler, which acks it once its
// attempt event is stored. ctx is not cancelled by shutdown; waits are
// bounded by publishTimeout (the hot path creates no timer).
func (e *endpoint) succeeded(ctx context.Context, m jetstream.Msg, w control.Webhook, dl delivery, n int, res sender.Result) {
	if err := e.health.success(ctx); err != nil {
		e.d.logger.Warn("record endpoint health", "webhook", w.ID, "err", err)
	}
	ev, err := e.d.attemptEvent(ctx, events.WebhookSucceeded, w, dl, n, res, nil)
	if err != nil {
		e.d.logger.Warn("publish delivery outcome", "webhook", w.ID, "type", string(events.WebhookSucceeded), "err", err)
		e.d.metrics.outcome(ctx, "delivered")
		_ = m.Ack()
		return
	}
	e.settler.add(ctx, m, ev)
}

func (e *endpoint) failed(ctx context.Context, m jetstream.Msg, w control.Webhook, dl delivery, n int, res sender.Result) {
	now := time.Now()
	failingFor, err := e.health.failure(ctx, now)
	if err != nil {
		e.d.logger.Warn("record endpoint health", "webhook", w.ID, "err", err)
	}
	if failingFor >= e.d.opt.DisableAfter {
		e.d.disable(ctx, w.ID, "endpoint failing continuously since "+now.Add(-failingFor).UTC().Format(time.RFC3339))
	}
	delay, exhausted := e.d.retryDelay(n, res.RetryAfter)
	if !exhausted {
		next := now.Add(delay)
		e.recordAttempt(ctx, dl, n) // first: a crash after it cannot repeat n
		e.d.publishAttempt(ctx, events.WebhookAttemptFailed, w, dl, n, res, &next)
		e.d.metrics.outcome(ctx, "retrying")
		e.retryLater(ctx, m, dl, n, delay)
		return
	}
	if err := e.d.failed.put(ctx, dl, n, res.Reason()); err != nil {
		e.d.logger.Error("keep failed delivery", "webhook", w.ID, "delivery", dl.DeliveryID, "err", err)
		e.recordAttempt(ctx, dl, n)
		_ = m.NakWithDelay(delay + time.Minute)
		return
	}
	e.d.publishAttempt(ctx, events.WebhookFailed, w, dl, n, res, nil)
	e.forgetAttempts(ctx, dl)
	e.d.metrics.outcome(ctx, "failed")
	_ = m.Term()
}

// retryLater schedules the next attempt of dl after attempt n failed. An
// event of an unordered endpoint moves to WAMESH_DELIVERIES, which keeps
// it for as long as retries last (WAMESH_EVENTS may expire it sooner), and
// is acked once the copy is stored; everything else waits in its own
// consumer. An ordered endpoint's event stays: its later events must wait
// behind it.
func (e *endpoint) retryLater(ctx context.Context, m jetstream.Msg, dl delivery, n int, delay time.Duration) {
	if e.shape.ordered || !isEvent(m) {
		_ = m.NakWithDelay(delay)
		return
	}
	dl.AttemptBase, dl.NotBefore = n, time.Now().Add(delay)
	moved := dl.message(events.DeriveID("retry", dl.DeliveryID), m.Headers().Get(events.HeaderTraceParent))
	if _, err := e.d.js.PublishMsg(ctx, moved, jetstream.WithExpectStream(natsx.StreamDeliveries)); err != nil {
		e.d.logger.Warn("queue retry", "webhook", e.id, "delivery", dl.DeliveryID, "err", err)
		_ = m.NakWithDelay(delay) // retried from the event instead
		return
	}
	if err := e.d.attempts.markMoved(ctx, dl); err != nil {
		e.d.logger.Warn("mark retry moved", "webhook", e.id, "delivery", dl.DeliveryID, "err", err)
	}
	_ = m.Ack()
}

// movedBefore handles an event of an unordered endpoint that comes back
// after an attempt of it failed, because the dispatcher stopped or an ack
// got lost. If its retry was moved to WAMESH_DELIVERIES, the copy does the
// rest (it may even have succeeded already): the event is acked. If only
// the failed attempt was recorded, the retry is moved now (the same
// Nats-Msg-Id makes a copy stored within the dedup window a duplicate)
// instead of being attempted ahead of its schedule. True when m was
// handled.
func (e *endpoint) movedBefore(ctx context.Context, m jetstream.Msg, md *jetstream.MsgMetadata, dl delivery) bool {
	if e.shape.ordered || md == nil || md.NumDelivered <= 1 || !isEvent(m) {
		return false
	}
	if moved, err := e.d.attempts.moved(ctx, dl); err == nil && moved {
		_ = m.Ack()
		return true
	}
	last, err := e.d.attempts.last(ctx, dl)
	if err != nil || last == 0 {
		return false
	}
	delay, _ := e.d.retryDelay(last, 0)
	e.retryLater(ctx, m, dl, last, delay)
	return true
}

// recordAttempt stores that attempt n failed; without it the next attempt
// would count from the redelivery count.
func (e *endpoint) recordAttempt(ctx context.Context, dl delivery, n int) {
	if err := e.d.attempts.record(ctx, dl, n); err != nil {
		// The next attempt may get the same number; its outcome event
		// still gets its own id (attemptEvent adds the redelivery count).
		e.d.logger.Error("record attempt", "webhook", e.id, "delivery", dl.DeliveryID, "err", err)
	}
}

// forgetAttempts drops a settled delivery's count; a leftover expires.
func (e *endpoint) forgetAttempts(ctx context.Context, dl delivery) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := e.d.attempts.forget(ctx, dl); err != nil {
		e.d.logger.Debug("forget attempts", "webhook", e.id, "delivery", dl.DeliveryID, "err", err)
	}
}

// signer returns the endpoint's signer for w's active secrets, made again
// only when the secrets change or one of them expires.
func (e *endpoint) signer(w control.Webhook) *signing.Signer {
	now := time.Now()
	e.signerLock.Lock()
	defer e.signerLock.Unlock()
	c := &e.signerCache
	if c.signer == nil || !now.Before(c.validUntil) || !sameSecrets(c.secrets, w.Secrets) {
		c.signer, c.secrets, c.validUntil = e.d.signer(w), w.Secrets, time.Now().Add(time.Hour)
		for _, s := range w.Secrets {
			if s.ExpiresAt != nil && s.ExpiresAt.After(now) && s.ExpiresAt.Before(c.validUntil) {
				c.validUntil = *s.ExpiresAt
			}
		}
	}
	return c.signer
}

// signerCache is an endpoint's signer and what it was made from.
type signerCache struct {
	signer     *signing.Signer
	secrets    []control.Secret
	validUntil time.Time // the next expiry of an active secret (at most an hour)
}

func sameSecrets(a, b []control.Secret) bool {
	return slices.EqualFunc(a, b, func(x, y control.Secret) bool {
		return x.Value == y.Value && (x.ExpiresAt == nil) == (y.ExpiresAt == nil) && (x.ExpiresAt == nil || x.ExpiresAt.Equal(*y.ExpiresAt))
	})
}

// signer decodes the webhook's active secrets into a signer; undecodable
// ones are skipped.
func (d *Dispatcher) signer(w control.Webhook) *signing.Signer {
	active := w.ActiveSecrets(time.Now())
	keys := make([]signing.Key, 0, len(active))
	for _, s := range active {
		k, err := signing.Decode(s.Value)
		if err != nil {
			d.logger.Warn("undecodable webhook secret skipped", "webhook", w.ID)
			continue
		}
		keys = append(keys, k)
	}
	return signing.NewSigner(keys...)
}

// publishAttempt records one attempt as a tenant-level event and waits
// until it is stored.
func (d *Dispatcher) publishAttempt(ctx context.Context, t events.Type, w control.Webhook, dl delivery, n int, res sender.Result, next *time.Time) {
	m, err := d.attemptEvent(ctx, t, w, dl, n, res, next)
	if err == nil {
		_, err = d.js.PublishMsg(ctx, m, jetstream.WithExpectStream(events.StreamName))
	}
	if err != nil {
		d.logger.Warn("publish delivery outcome", "webhook", w.ID, "type", string(t), "err", err)
	}
}

// attemptEvent builds the event message recording one attempt; its id
// (and Nats-Msg-Id) is derived from the delivery, the outcome, the attempt
// number and the message's delivery count, so publishing it twice stores
// it once, while a later attempt that got the same number (its count could
// not be stored) is still recorded.
func (d *Dispatcher) attemptEvent(ctx context.Context, t events.Type, w control.Webhook, dl delivery, n int, res sender.Result, next *time.Time) (*nats.Msg, error) {
	data := events.WebhookDeliveryData{
		Webhook: w.ID, DeliveryID: dl.DeliveryID, EventID: dl.EventID, EventType: dl.EventType, Session: dl.Session,
		Attempt: n, StatusCode: res.StatusCode, LatencyMS: res.Latency.Milliseconds(), Error: res.Reason(),
		ResponseSnippet: res.Snippet, NextAttemptAt: next,
	}
	meta := events.Meta{Tenant: w.Tenant, ID: events.DeriveID("attempt", dl.DeliveryID, string(t), itoa(n), strconv.FormatUint(dl.delivered, 10)), Source: "/wamesh/webhooks/" + w.ID}
	ev, err := events.New(ctx, t, meta, data)
	if err != nil {
		return nil, fmt.Errorf("build %s event: %w", t, err)
	}
	m, err := events.Message(ev)
	if err != nil {
		return nil, fmt.Errorf("build %s event: %w", t, err)
	}
	return m, nil
}
