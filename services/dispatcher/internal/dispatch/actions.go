package dispatch

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/services/dispatcher/internal/sender"
)

// TestEventType is the type of the synthetic event sent by the test operation.
const TestEventType events.Type = "webhook.test"

// WebhookTestData is the payload of the synthetic test event.
type WebhookTestData struct {
	Webhook string `json:"webhook"` // webhook id
	Message string `json:"message"` // human-readable
}

// opTest sends a synthetic event to the webhook now, bypassing the queue,
// and returns what happened. Disabled webhooks can be tested.
func (d *Dispatcher) opTest(ctx context.Context, body []byte) (any, error) {
	var req queries.WebhookTestRequest
	if err := decodeRequest(body, &req); err != nil {
		return nil, err
	}
	w, err := d.lookup(req.Tenant, req.Webhook)
	if err != nil {
		return nil, err
	}
	ev, err := events.New(ctx, TestEventType, events.Meta{Tenant: w.Tenant, Source: "/wamesh/webhooks/" + w.ID},
		WebhookTestData{Webhook: w.ID, Message: "test event from wamesh"})
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	res := d.sender.Send(ctx, sender.Request{URL: w.URL, Headers: w.Headers, Signer: d.signer(w), ID: ev.ID, Body: b})
	out := queries.WebhookTestResult{StatusCode: res.StatusCode, LatencyMS: res.Latency.Milliseconds(), ResponseSnippet: res.Snippet}
	if !res.Delivered() {
		out.Error = res.Reason()
	}
	return out, nil
}

// opRetry re-queues an exhausted delivery from the failed store, keeping its
// delivery id (so the delivery log continues) under a new dedup id.
func (d *Dispatcher) opRetry(ctx context.Context, body []byte) (any, error) {
	var req queries.WebhookRetryRequest
	if err := decodeRequest(body, &req); err != nil {
		return nil, err
	}
	w, err := d.lookup(req.Tenant, req.Webhook)
	if err != nil {
		return nil, err
	}
	f, err := d.failed.get(ctx, w.ID, req.DeliveryID)
	if errors.Is(err, errNotFound) || (err == nil && f.Tenant != w.Tenant) {
		return nil, commands.Errorf(commands.CodeNotFound, "no failed delivery %s for webhook %s (only deliveries whose retries are exhausted can be retried)", req.DeliveryID, w.ID)
	}
	if err != nil {
		return nil, err
	}
	dl := f.delivery
	dl.AttemptBase = f.Attempts
	if _, err := d.js.PublishMsg(ctx, dl.message(dl.DeliveryID+".retry."+uuid.NewString(), "")); err != nil {
		return nil, err
	}
	if err := d.failed.remove(ctx, w.ID, req.DeliveryID); err != nil {
		d.logger.Warn("remove retried delivery", "webhook", w.ID, "delivery", req.DeliveryID, "err", err)
	}
	return queries.WebhookRetryResult{Queued: true}, nil
}
