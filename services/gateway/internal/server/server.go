// Package server is the gateway's HTTP side: the Echo instance, its
// middleware (request id, tracing, CORS, body limits, auth, rate limits,
// OpenAPI validation) and the handlers of the generated api.ServerInterface.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/ssrf"
	"github.com/wamesh/wamesh/services/gateway/api"
	"github.com/wamesh/wamesh/services/gateway/internal/auth"
)

// Options are the tunables of the HTTP side.
type Options struct {
	Shards            int           // WAMESH_SHARDS
	AdminKey          string        // admin API key; "" disables admin routes
	JWTSecret         []byte        // HS256 secret of session tokens
	MaxBodyBytes      int64         // JSON and other bodies
	MaxUploadBytes    int64         // multipart and binary uploads
	TenantRate        int           // default requests/s per tenant
	KeyRate           int           // requests/s per API key or token
	CORSOrigins       []string      // allowed origins; empty = CORS off
	MaxWait           time.Duration // cap of ?wait=
	SSRF              ssrf.Policy   // webhook URL check at create time
	Sandbox           http.Handler  // mounted under /sandbox/v1 (admin)
	Ops               http.Handler  // /healthz, /readyz, /metrics
	SessionRetryAfter int           // seconds in Retry-After of 503 SESSION_UNAVAILABLE
}

// Server implements api.ServerInterface over NATS.
type Server struct {
	opts   Options
	log    *slog.Logger
	nc     *nats.Conn
	js     jetstream.JetStream
	kv     buckets
	media  jetstream.ObjectStore
	tokens *auth.Tokens

	tenants  *watched[control.Tenant]
	keys     *watched[control.APIKey]
	sessions *watched[control.Session]
	states   *watched[control.SessionState]
	webhooks *watched[control.Webhook]
	tokRecs  *watched[TokenRecord]

	limits *limiter
	runCtx context.Context // ends at shutdown; live streams stop with it
}

type buckets struct {
	tenants, keys, sessions, webhooks, tokens jetstream.KeyValue
	gateway                                   jetstream.KeyValue // the gateway's own: jwt secret, quota reservations
}

// New connects the caches and returns the Echo instance serving the API.
// The caches stop when ctx ends.
func New(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, logger *slog.Logger, opts Options) (*echo.Echo, error) {
	s := &Server{opts: opts, log: logger, nc: nc, js: js, limits: newLimiter(opts.TenantRate, opts.KeyRate), runCtx: ctx}
	if err := s.open(ctx); err != nil {
		return nil, err
	}
	tokens, err := auth.NewTokens(opts.JWTSecret)
	if err != nil {
		return nil, err
	}
	s.tokens = tokens
	v, err := newValidator()
	if err != nil {
		return nil, err
	}
	return s.echo(v), nil
}

func (s *Server) open(ctx context.Context) error {
	var err error
	kv := func(name string) jetstream.KeyValue {
		if err != nil {
			return nil
		}
		var b jetstream.KeyValue
		b, err = s.js.KeyValue(ctx, name)
		if err != nil {
			err = fmt.Errorf("open kv %s: %w", name, err)
		}
		return b
	}
	s.kv = buckets{
		tenants: kv(natsx.BucketTenants), keys: kv(natsx.BucketAPIKeys),
		sessions: kv(natsx.BucketSessions), webhooks: kv(natsx.BucketWebhooks), tokens: kv(BucketTokens),
		gateway: kv(BucketGateway),
	}
	states := kv(natsx.BucketSessionState)
	if err != nil {
		return err
	}
	if s.media, err = s.js.ObjectStore(ctx, natsx.ObjectStoreMedia); err != nil {
		return fmt.Errorf("open object store: %w", err)
	}
	if s.tenants, err = watch[control.Tenant](ctx, s.kv.tenants, s.log); err != nil {
		return err
	}
	if s.keys, err = watch[control.APIKey](ctx, s.kv.keys, s.log); err != nil {
		return err
	}
	if s.sessions, err = watch[control.Session](ctx, s.kv.sessions, s.log); err != nil {
		return err
	}
	if s.states, err = watch[control.SessionState](ctx, states, s.log); err != nil {
		return err
	}
	if s.webhooks, err = watch[control.Webhook](ctx, s.kv.webhooks, s.log); err != nil {
		return err
	}
	s.tokRecs, err = watch[TokenRecord](ctx, s.kv.tokens, s.log)
	return err
}

func (s *Server) echo(v *validator) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Pre(middleware.RequestIDWithConfig(middleware.RequestIDConfig{TargetHeader: echo.HeaderXRequestID, Generator: newRequestID}))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: s.logPanic}))
	e.Use(tracing())
	if len(s.opts.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  s.opts.CORSOrigins,
			AllowHeaders:  []string{echo.HeaderAuthorization, "X-API-Key", echo.HeaderContentType, "Idempotency-Key", "Last-Event-ID"},
			ExposeHeaders: []string{echo.HeaderXRequestID, "Retry-After", "RateLimit-Limit", "RateLimit-Remaining"},
		}))
	}
	e.Use(s.bodyLimit, s.authenticate, s.rateLimit, s.ownership, v.middleware)
	api.RegisterHandlers(e, s)
	s.registerStatic(e)
	if s.opts.Sandbox != nil {
		// The emulator's control handler serves full /sandbox/v1/... paths.
		h := echo.WrapHandler(s.opts.Sandbox)
		e.Any("/sandbox/v1/*", h)
	}
	if s.opts.Ops != nil {
		h := echo.WrapHandler(s.opts.Ops)
		e.GET("/healthz", h)
		e.GET("/readyz", h)
		e.GET("/metrics", h)
	}
	return e
}

// newRequestID returns 32 hex characters (128 random bits). Echo's default
// generator draws letters one byte at a time through a pooled bufio.Reader;
// this is one getrandom call and one allocation.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics on failure since Go 1.24)
	return hex.EncodeToString(b[:])
}

func (s *Server) logPanic(c echo.Context, err error, stack []byte) error {
	s.log.ErrorContext(c.Request().Context(), "handler panic", "err", err, "path", c.Path(), "stack", string(stack))
	return err
}
