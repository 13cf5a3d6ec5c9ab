// Package sender makes one signed webhook HTTP request: a pooled keep-alive
// client guarded against SSRF, a bounded timeout, a bounded response read,
// no redirects followed.
package sender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wamesh/wamesh/pkg/ssrf"
	"github.com/wamesh/wamesh/services/dispatcher/internal/signing"
)

// Limits of a response.
const (
	MaxResponseRead = 64 << 10 // bytes of a response body read at most
	SnippetLen      = 512      // bytes of the body kept in the delivery log
	maxRetryAfter   = 24 * time.Hour
)

// ContentType of every webhook request (CloudEvents structured mode).
const ContentType = "application/cloudevents+json"

// Options configure a Sender.
type Options struct {
	Policy              ssrf.Policy   // which destinations may be dialled
	Timeout             time.Duration // whole request, including reading the response
	MaxIdleConnsPerHost int           // keep-alive pool per host
	UserAgent           string        // "wamesh/<version>"
}

// Sender posts webhook requests. It is safe for concurrent use and meant to
// be shared: one connection pool for every endpoint.
type Sender struct {
	client    *http.Client
	timeout   time.Duration
	userAgent string
}

// New builds a Sender.
func New(o Options) *Sender {
	t := o.Policy.Transport(ssrf.TransportOptions{MaxIdleConnsPerHost: o.MaxIdleConnsPerHost, MaxIdleConns: 4 * max(o.MaxIdleConnsPerHost, 256)})
	return &Sender{
		// No Client.Timeout: it costs a goroutine and a timer per request.
		// Send bounds the request, response read included, with its
		// context instead.
		client: &http.Client{
			Transport:     t,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout:   o.Timeout,
		userAgent: o.UserAgent,
	}
}

// Request is one delivery attempt.
type Request struct {
	URL     string            // endpoint
	Headers map[string]string // custom headers; cannot override the signed ones
	Signer  *signing.Signer   // the active signing keys, newest first
	ID      string            // webhook-id: the CloudEvent id, stable across retries
	Body    []byte            // the CloudEvent JSON
}

// Result is the outcome of one attempt.
type Result struct {
	StatusCode int           // 0 when there was no response
	Latency    time.Duration // request duration
	Err        error         // transport error, SSRF refusal, or nil
	Snippet    string        // first bytes of the response body
	RetryAfter time.Duration // from a 429/503 Retry-After header; 0 if none
}

// Delivered reports a 2xx response.
func (r Result) Delivered() bool { return r.Err == nil && r.StatusCode >= 200 && r.StatusCode < 300 }

// Gone reports a 410 response: the receiver asks us to stop.
func (r Result) Gone() bool { return r.Err == nil && r.StatusCode == http.StatusGone }

// Reason describes a failed attempt for the delivery log.
func (r Result) Reason() string {
	switch {
	case r.Err != nil:
		return r.Err.Error()
	case r.Delivered():
		return ""
	case r.StatusCode >= 300 && r.StatusCode < 400:
		return fmt.Sprintf("HTTP %d: redirects are not followed", r.StatusCode)
	default:
		return fmt.Sprintf("HTTP %d", r.StatusCode)
	}
}

// Send makes one attempt. It never panics on bad input: a malformed URL is
// a failed attempt with Err set.
func (s *Sender) Send(ctx context.Context, r Request) Result {
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Result{Err: fmt.Errorf("build request: %w", err)}
	}
	s.setHeaders(req.Header, r, time.Now())
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Latency: time.Since(start), Err: err}
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseRead))
	res := Result{StatusCode: resp.StatusCode, Latency: time.Since(start), Snippet: snippet(body)}
	if readErr != nil && !res.Delivered() {
		res.Snippet += " [read: " + readErr.Error() + "]"
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		res.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return res
}

func (s *Sender) setHeaders(h http.Header, r Request, now time.Time) {
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	// Canonical keys assigned directly: Set would canonicalize (and
	// allocate) the lower-case Standard Webhooks names on every request.
	h["Content-Type"] = []string{ContentType}
	h["User-Agent"] = []string{s.userAgent}
	h[canonicalID] = []string{r.ID}
	h[canonicalTimestamp] = []string{strconv.FormatInt(now.Unix(), 10)}
	h[canonicalSignature] = []string{r.Signer.Signature(r.ID, now, r.Body)}
}

// The signed headers in the canonical form net/http stores them in
// (http.CanonicalHeaderKey of the signing.Header* names).
const (
	canonicalID        = "Webhook-Id"
	canonicalTimestamp = "Webhook-Timestamp"
	canonicalSignature = "Webhook-Signature"
)

// ParseRetryAfter reads a Retry-After value (delay seconds or an HTTP date),
// capped at 24 h; 0 when absent or unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(min(max(secs, 0), int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// IsCanceled reports whether err comes from ctx being cancelled (shutdown),
// which is not a failed attempt.
func IsCanceled(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, context.Canceled)
}

func snippet(b []byte) string {
	if len(b) > SnippetLen {
		b = b[:SnippetLen]
		for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b); i++ {
			b = b[:len(b)-1] // do not cut a rune in half
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
