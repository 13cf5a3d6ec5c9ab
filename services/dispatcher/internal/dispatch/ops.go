package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/queries"
)

// opTimeout bounds one operation (the test delivery includes a request).
const opTimeout = 30 * time.Second

var semver = regexp.MustCompile(`^\d+\.\d+\.\d+`)

// serveOps registers the "dispatcher" micro service answering
// wamesh.q.dispatcher.{test,retry,replay}; the returned func stops it.
func (d *Dispatcher) serveOps(ctx context.Context) (func(), error) {
	version := "0.0.0-dev"
	if semver.MatchString(d.opt.Version) {
		version = d.opt.Version
	}
	svc, err := micro.AddService(d.nc, micro.Config{
		Name: queries.ServiceDispatcher, Version: version,
		Description: "wamesh webhook operations: test, retry, replay",
	})
	if err != nil {
		return nil, fmt.Errorf("add micro service: %w", err)
	}
	g := svc.AddGroup("wamesh.q." + queries.ServiceDispatcher)
	handlers := map[string]func(context.Context, []byte) (any, error){
		queries.OpWebhookTest:   d.opTest,
		queries.OpWebhookRetry:  d.opRetry,
		queries.OpWebhookReplay: d.opReplay,
	}
	for op, h := range handlers {
		if err := g.AddEndpoint(op, d.handler(ctx, h)); err != nil {
			_ = svc.Stop()
			return nil, fmt.Errorf("add endpoint %s: %w", op, err)
		}
	}
	// The subscriptions are live once the flush returns. FlushWithContext
	// needs a deadline, and the service context (Run's) has none.
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.nc.FlushWithContext(fctx); err != nil {
		_ = svc.Stop()
		return nil, fmt.Errorf("flush micro service: %w", err)
	}
	return func() { _ = svc.Stop() }, nil
}

// handler runs each request in its own goroutine and answers with a
// commands.Response, the envelope queries.Call decodes.
func (d *Dispatcher) handler(ctx context.Context, h func(context.Context, []byte) (any, error)) micro.Handler {
	return micro.HandlerFunc(func(r micro.Request) {
		go func() {
			rctx, cancel := context.WithTimeout(ctx, opTimeout)
			defer cancel()
			data, err := h(rctx, r.Data())
			if err != nil && !errors.As(err, new(*commands.Error)) {
				d.logger.Error("dispatcher operation", "subject", r.Subject(), "err", err)
			}
			resp := commands.Response{}
			if err != nil {
				var ce *commands.Error
				if !errors.As(err, &ce) {
					ce = commands.Errorf(commands.CodeInternal, "%s", err.Error())
				}
				resp.Error = ce
			} else if resp.Data, err = json.Marshal(data); err != nil {
				resp.Error = commands.Errorf(commands.CodeInternal, "encode response: %s", err.Error())
			}
			b, _ := json.Marshal(resp)
			_ = r.Respond(b)
		}()
	})
}

// decodeRequest unmarshals a request body.
func decodeRequest(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return commands.Errorf(commands.CodeValidation, "request body: %s", err.Error())
	}
	return nil
}

// lookup returns the tenant's webhook; another tenant's webhook is NOT_FOUND.
func (d *Dispatcher) lookup(tenant, webhook string) (control.Webhook, error) {
	if err := ids.Validate("tenant", tenant); err != nil {
		return control.Webhook{}, commands.Errorf(commands.CodeValidation, "%s", err.Error())
	}
	if err := ids.Validate("webhook", webhook); err != nil {
		return control.Webhook{}, commands.Errorf(commands.CodeValidation, "%s", err.Error())
	}
	w, ok := d.webhooks.Get(webhook)
	if !ok || w.Tenant != tenant {
		return control.Webhook{}, commands.Errorf(commands.CodeNotFound, "webhook %s not found", webhook)
	}
	return w, nil
}
