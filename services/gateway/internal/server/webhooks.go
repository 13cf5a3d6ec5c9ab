package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/pkg/ssrf"
	"github.com/wamesh/wamesh/services/gateway/api"
)

// defaultRotationGrace keeps the old secret valid after a rotation.
const defaultRotationGrace = 24 * time.Hour

// Timeouts of the dispatcher operations. The dispatcher allows
// commands.TimeoutWhatsApp per operation, and a test delivery waits up to
// 15 s for the endpoint, so the local 5 s would turn a slow but healthy
// endpoint into a 504.
const (
	webhookTestTimeout   = 20 * time.Second
	webhookReplayTimeout = commands.TimeoutWhatsApp + 5*time.Second
	webhookRetryTimeout  = 10 * time.Second
)

var errWebhookNotFound = problem(http.StatusNotFound, codeWebhookNotFound, "no such webhook")

// webhookView hides secrets; Secret is set only on create and rotate.
type webhookView struct {
	ID          string            `json:"id"`
	URL         string            `json:"url"`
	Sessions    []string          `json:"sessions,omitempty"`
	Events      []string          `json:"events,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Ordered     bool              `json:"ordered"`
	RateLimit   int               `json:"rateLimit,omitempty"`
	Concurrency int               `json:"concurrency,omitempty"`
	Enabled     bool              `json:"enabled"`
	Disabled    string            `json:"disabled,omitempty"`
	Secret      string            `json:"secret,omitempty"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
}

func viewWebhook(w control.Webhook, withSecret bool) webhookView {
	v := webhookView{ID: w.ID, URL: w.URL, Sessions: w.Sessions, Events: w.Events, Headers: w.Headers, Ordered: w.Ordered,
		RateLimit: w.RateLimit, Concurrency: w.Concurrency, Enabled: w.Enabled, Disabled: w.Disabled,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	if withSecret && len(w.Secrets) > 0 {
		v.Secret = w.Secrets[0].Value
	}
	return v
}

type webhookInput struct {
	URL         *string            `json:"url"`
	Sessions    *[]string          `json:"sessions"`
	Events      *[]string          `json:"events"`
	Headers     *map[string]string `json:"headers"`
	Ordered     *bool              `json:"ordered"`
	RateLimit   *int               `json:"rateLimit"`
	Concurrency *int               `json:"concurrency"`
	Enabled     *bool              `json:"enabled"`
}

func newSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// newWebhook builds a webhook from input, checking the URL with the SSRF guard.
func (s *Server) newWebhook(ctx context.Context, tenant string, in webhookInput) (control.Webhook, error) {
	now := time.Now().UTC()
	w := control.Webhook{ID: ids.New("wh"), Tenant: tenant, Enabled: true, Secrets: []control.Secret{{Value: newSecret()}},
		CreatedAt: now, UpdatedAt: now}
	return w, s.applyWebhook(ctx, &w, in)
}

func (s *Server) applyWebhook(ctx context.Context, w *control.Webhook, in webhookInput) error {
	if err := s.checkWebhook(ctx, w.Tenant, in); err != nil {
		return err
	}
	setWebhook(w, in)
	return nil
}

// checkWebhook validates input: the URL with the SSRF guard, the sessions
// against the tenant's, the event patterns against the catalog, the header
// names.
func (s *Server) checkWebhook(ctx context.Context, tenant string, in webhookInput) error {
	if in.URL != nil {
		if err := s.opts.SSRF.ValidateURL(ctx, *in.URL); err != nil {
			return urlProblem(err)
		}
	}
	if in.Sessions != nil {
		for _, id := range *in.Sessions {
			if sess, ok := s.sessions.Get(id); !ok || sess.Tenant != tenant {
				return validation("sessions: unknown session " + id)
			}
		}
	}
	if in.Events != nil {
		for _, p := range *in.Events {
			if !events.WebhookPattern(p) {
				return validation("events: " + p + " matches no event type (see the catalog; webhook.* events are sent only to webhooks that name them exactly)")
			}
		}
	}
	if in.Headers != nil {
		for name := range *in.Headers {
			if !validHeaderName(name) {
				return validation("headers: " + name + " cannot be set on webhook requests")
			}
		}
	}
	return nil
}

// setWebhook copies the fields set in checked input; the others stay.
func setWebhook(w *control.Webhook, in webhookInput) {
	w.URL = ptrOr(in.URL, w.URL)
	w.Sessions = ptrOr(in.Sessions, w.Sessions)
	w.Events = ptrOr(in.Events, w.Events)
	w.Headers = ptrOr(in.Headers, w.Headers)
	w.Ordered = ptrOr(in.Ordered, w.Ordered)
	w.RateLimit = ptrOr(in.RateLimit, w.RateLimit)
	w.Concurrency = ptrOr(in.Concurrency, w.Concurrency)
	w.Enabled = ptrOr(in.Enabled, w.Enabled)
	if in.Enabled != nil && *in.Enabled {
		w.Disabled = ""
	}
}

func urlProblem(err error) error {
	msg := "url: " + err.Error()
	if errors.Is(err, ssrf.ErrForbidden) {
		msg = "url: destination is not allowed: " + err.Error()
	}
	return validation(msg)
}

// CreateWebhook subscribes the tenant to events; the secret is shown once.
func (s *Server) CreateWebhook(c echo.Context) error {
	var in webhookInput
	if err := decode(c, &in); err != nil {
		return err
	}
	w, err := s.newWebhook(c.Request().Context(), principalOf(c).Tenant, in)
	if err != nil {
		return err
	}
	if err := s.putWebhook(c, w); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, viewWebhook(w, true))
}

func (s *Server) putWebhook(c echo.Context, w control.Webhook) error {
	ctx, cancel := writeCtx(c)
	defer cancel()
	rev, err := control.Put(ctx, s.kv.webhooks, w.ID, w)
	if err != nil {
		return err
	}
	return s.webhooks.waitRev(ctx, w.ID, rev)
}

func (s *Server) webhook(c echo.Context, id string) (control.Webhook, error) {
	w, ok := s.webhooks.Get(id)
	if !ok || w.Tenant != principalOf(c).Tenant {
		return w, errWebhookNotFound
	}
	return w, nil
}

// ListWebhooks lists the tenant's webhooks.
func (s *Server) ListWebhooks(c echo.Context) error {
	tenant := principalOf(c).Tenant
	all := s.webhooks.All(func(_ string, w control.Webhook) bool { return w.Tenant == tenant })
	out := make([]webhookView, 0, len(all))
	for _, w := range all {
		out = append(out, viewWebhook(w, false))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// GetWebhook returns one webhook without its secret.
func (s *Server) GetWebhook(c echo.Context, id api.WebhookParam) error {
	w, err := s.webhook(c, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewWebhook(w, false))
}

// UpdateWebhook patches a webhook.
func (s *Server) UpdateWebhook(c echo.Context, id api.WebhookParam) error {
	w, err := s.webhook(c, id)
	if err != nil {
		return err
	}
	var in webhookInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.checkWebhook(c.Request().Context(), w.Tenant, in); err != nil {
		return err
	}
	w, err = s.mutateWebhook(c, id, func(w *control.Webhook) { setWebhook(w, in) })
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewWebhook(w, false))
}

// maxWebhookWrites bounds the compare-and-swap attempts of one change. The
// dispatcher writes webhooks too (auto-disable), so retries are expected.
const maxWebhookWrites = 10

// mutateWebhook applies fn to the stored webhook with compare-and-swap, so
// neither a concurrent change nor the dispatcher's auto-disable is lost,
// and waits for the cache.
func (s *Server) mutateWebhook(c echo.Context, id string, fn func(*control.Webhook)) (control.Webhook, error) {
	ctx, cancel := writeCtx(c)
	defer cancel()
	tenant := principalOf(c).Tenant
	for attempt := 1; ; attempt++ {
		w, rev, err := control.Get[control.Webhook](ctx, s.kv.webhooks, id)
		if errors.Is(err, control.ErrNotFound) || (err == nil && w.Tenant != tenant) {
			return w, errWebhookNotFound
		}
		if err != nil {
			return w, err
		}
		fn(&w)
		w.UpdatedAt = time.Now().UTC()
		nrev, err := control.Update(ctx, s.kv.webhooks, id, w, rev)
		if err != nil && attempt < maxWebhookWrites && ctx.Err() == nil {
			continue
		}
		if err != nil {
			return w, problem(http.StatusConflict, "CONFLICT", "webhook changed concurrently; retry")
		}
		return w, s.webhooks.waitRev(ctx, id, nrev)
	}
}

// DeleteWebhook removes a webhook.
func (s *Server) DeleteWebhook(c echo.Context, id api.WebhookParam) error {
	if _, err := s.webhook(c, id); err != nil {
		return err
	}
	ctx, cancel := writeCtx(c)
	defer cancel()
	if err := s.kv.webhooks.Delete(ctx, id); err != nil {
		return err
	}
	if err := s.webhooks.waitGone(ctx, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type rotateIn struct {
	GraceSeconds *int `json:"graceSeconds"`
}

// RotateWebhookSecret puts a new secret first; older ones expire after the grace.
func (s *Server) RotateWebhookSecret(c echo.Context, id api.WebhookParam) error {
	w, err := s.webhook(c, id)
	if err != nil {
		return err
	}
	var in rotateIn
	if err := decode(c, &in); err != nil {
		return err
	}
	grace := defaultRotationGrace
	if in.GraceSeconds != nil {
		grace = time.Duration(*in.GraceSeconds) * time.Second
	}
	secret := newSecret()
	w, err = s.mutateWebhook(c, w.ID, func(w *control.Webhook) {
		now := time.Now().UTC()
		expires := now.Add(grace)
		secrets := []control.Secret{{Value: secret}}
		for _, old := range w.ActiveSecrets(now) {
			if old.ExpiresAt == nil || old.ExpiresAt.After(expires) {
				old.ExpiresAt = &expires
			}
			secrets = append(secrets, old)
		}
		w.Secrets = secrets
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewWebhook(w, true))
}

// ListDeliveries pages through delivery attempts (history).
func (s *Server) ListDeliveries(c echo.Context, id api.WebhookParam, params api.ListDeliveriesParams) error {
	w, err := s.webhook(c, id)
	if err != nil {
		return err
	}
	req := queries.DeliveriesRequest{Tenant: w.Tenant, Webhook: w.ID, Limit: deref(params.Limit), Cursor: deref(params.Cursor)}
	var page queries.Page[queries.DeliveryAttempt]
	if err := s.query(c, queries.ServiceHistory, queries.OpDeliveries, req, &page); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// RetryDelivery re-queues one delivery (dispatcher).
func (s *Server) RetryDelivery(c echo.Context, id api.WebhookParam, delivery string) error {
	w, err := s.webhook(c, id)
	if err != nil {
		return err
	}
	var out queries.WebhookRetryResult
	req := queries.WebhookRetryRequest{Tenant: w.Tenant, Webhook: w.ID, DeliveryID: delivery}
	if err := s.dispatcher(c, queries.OpWebhookRetry, webhookRetryTimeout, req, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, out)
}

type replayIn struct {
	Since time.Time `json:"since"`
}

// ReplayWebhook re-delivers matching events since a time (dispatcher).
func (s *Server) ReplayWebhook(c echo.Context, id api.WebhookParam) error {
	w, err := s.webhook(c, id)
	if err != nil {
		return err
	}
	var in replayIn
	if err := decode(c, &in); err != nil {
		return err
	}
	var out queries.WebhookReplayResult
	req := queries.WebhookReplayRequest{Tenant: w.Tenant, Webhook: w.ID, Since: in.Since}
	if err := s.dispatcher(c, queries.OpWebhookReplay, webhookReplayTimeout, req, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, out)
}

// TestWebhook sends a synthetic event now (dispatcher).
func (s *Server) TestWebhook(c echo.Context, id api.WebhookParam) error {
	w, err := s.webhook(c, id)
	if err != nil {
		return err
	}
	var out queries.WebhookTestResult
	if err := s.dispatcher(c, queries.OpWebhookTest, webhookTestTimeout, queries.WebhookTestRequest{Tenant: w.Tenant, Webhook: w.ID}, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// dispatcher calls a dispatcher operation with its own timeout.
func (s *Server) dispatcher(c echo.Context, op string, timeout time.Duration, req, out any) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), timeout)
	defer cancel()
	return queries.Call(ctx, s.nc, queries.ServiceDispatcher, op, req, out)
}

// reservedHeaders are set by the dispatcher or the transport.
var reservedHeaders = map[string]bool{
	"host": true, "content-length": true, "content-type": true, "transfer-encoding": true, "connection": true,
	"webhook-id": true, "webhook-timestamp": true, "webhook-signature": true, "upgrade": true, "te": true, "trailer": true,
}

// validHeaderName accepts RFC 9110 token characters, minus reserved names.
func validHeaderName(name string) bool {
	if name == "" || len(name) > 128 || reservedHeaders[strings.ToLower(name)] {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
