package server

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/wamesh/wamesh/pkg/commands"
)

// idleBucket is how long a bucket may go unused before it is evicted. A
// bucket refills within a second or so, so evicting it changes no decision.
const idleBucket = 10 * time.Minute

// limiter holds one token bucket per tenant and one per key/token.
type limiter struct {
	tenantRate, keyRate int

	bucketsLock sync.Mutex
	buckets     map[string]*bucket
	swept       time.Time // last eviction of idle buckets
}

type bucket struct {
	lim  *rate.Limiter
	rps  int
	used time.Time // last get; guarded by bucketsLock
}

func newLimiter(tenantRate, keyRate int) *limiter {
	return &limiter{tenantRate: tenantRate, keyRate: keyRate, buckets: map[string]*bucket{}}
}

// get returns the bucket kind+id allowing rps, nil when rps is off (<= 0).
func (l *limiter) get(kind, id string, rps int) *bucket {
	if rps <= 0 {
		return nil
	}
	name := kind + id
	now := time.Now()
	l.bucketsLock.Lock()
	defer l.bucketsLock.Unlock()
	if now.Sub(l.swept) >= idleBucket {
		l.evictIdle(now)
	}
	b, ok := l.buckets[name]
	if !ok || b.rps != rps {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(rps), rps), rps: rps}
		l.buckets[name] = b
	}
	b.used = now
	return b
}

// evictIdle drops the buckets unused for idleBucket, so keys, tokens and
// tenants that went away do not keep one forever. It runs under
// bucketsLock at most once per idleBucket.
func (l *limiter) evictIdle(now time.Time) {
	for name, b := range l.buckets {
		if now.Sub(b.used) >= idleBucket {
			delete(l.buckets, name)
		}
	}
	l.swept = now
}

// rateLimit applies the tenant bucket then the key bucket; a refused request
// gets 429 RATE_LIMITED with Retry-After and RateLimit-* headers.
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := principalOf(c)
		if p.Tenant == "" {
			return next(c)
		}
		trate := s.limits.tenantRate
		if t, ok := s.tenants.Get(p.Tenant); ok && t.RateLimit > 0 {
			trate = t.RateLimit
		}
		for _, b := range [2]*bucket{s.limits.get("t:", p.Tenant, trate), s.limits.get("k:", p.ID, s.limits.keyRate)} {
			if b == nil {
				continue
			}
			h := c.Response().Header()
			if !b.lim.Allow() {
				wait := math.Ceil(1 / float64(b.rps))
				h.Set("Retry-After", strconv.Itoa(max(1, int(wait))))
				h.Set("RateLimit-Limit", strconv.Itoa(b.rps))
				h.Set("RateLimit-Remaining", "0")
				return problem(http.StatusTooManyRequests, string(commands.CodeRateLimited), "rate limit exceeded")
			}
			h.Set("RateLimit-Limit", strconv.Itoa(b.rps))
			h.Set("RateLimit-Remaining", strconv.Itoa(int(b.lim.Tokens())))
		}
		return next(c)
	}
}

// bodyLimit caps request bodies: uploads (multipart, binary) at
// MaxUploadBytes, everything else at MaxBodyBytes.
func (s *Server) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		limit := s.opts.MaxBodyBytes
		if uploadRoutes[c.Path()] && isUpload(r.Header.Get(echo.HeaderContentType)) {
			limit = s.opts.MaxUploadBytes
		}
		if r.ContentLength > limit {
			return toProblem(&http.MaxBytesError{Limit: limit})
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		return next(c)
	}
}

// uploadRoutes are the routes that take multipart or binary uploads; only
// they get MaxUploadBytes.
var uploadRoutes = map[string]bool{
	"/v1/sessions/:session/media":                 true,
	"/v1/sessions/:session/chats/:chat/messages":  true,
	"/v1/sessions/:session/groups/:group/picture": true,
}
