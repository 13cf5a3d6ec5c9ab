package dispatch

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
)

// disable turns a webhook off (compare-and-swap, so of several dispatcher
// instances only one wins) and publishes webhook.disabled.
func (d *Dispatcher) disable(ctx context.Context, id, reason string) {
	for range 5 {
		w, rev, err := control.Get[control.Webhook](ctx, d.webhooksKV, id)
		if errors.Is(err, control.ErrNotFound) || (err == nil && !w.Enabled) {
			return
		}
		if err != nil {
			d.logger.Warn("disable webhook", "webhook", id, "err", err)
			return
		}
		w.Enabled, w.Disabled, w.UpdatedAt = false, reason, time.Now().UTC()
		nrev, err := control.Update(ctx, d.webhooksKV, id, w, rev)
		if err != nil {
			continue // changed under us: read again
		}
		d.logger.Warn("webhook disabled", "webhook", id, "tenant", w.Tenant, "reason", reason)
		meta := events.Meta{Tenant: w.Tenant, ID: events.DeriveID("disabled", id, itoa(int(nrev))), Source: "/wamesh/webhooks/" + id}
		if _, err := events.PublishNew(ctx, d.js, events.WebhookDisabled, meta, events.WebhookDisabledData{Webhook: id, Reason: reason}); err != nil {
			d.logger.Warn("publish webhook.disabled", "webhook", id, "err", err)
		}
		return
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
