package sender_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/wamesh/wamesh/pkg/ssrf"
	"github.com/wamesh/wamesh/services/dispatcher/internal/sender"
	"github.com/wamesh/wamesh/services/dispatcher/internal/signing"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

var loopback = ssrf.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}

func newSender(timeout time.Duration) *sender.Sender {
	return sender.New(sender.Options{Policy: loopback, Timeout: timeout, MaxIdleConnsPerHost: 8, UserAgent: "wamesh/test"})
}

func key(t *testing.T) signing.Key {
	k, err := signing.Decode(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSendHeadersAndSignature(t *testing.T) {
	t.Parallel()
	var got atomic.Pointer[http.Request]
	var gotBody atomic.Pointer[[]byte]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(r)
		gotBody.Store(&b)
		w.WriteHeader(204)
	}))
	t.Cleanup(srv.Close)
	body := []byte(`{"id":"ev1"}`)
	res := newSender(5*time.Second).Send(context.Background(), sender.Request{
		URL: srv.URL, ID: "ev1", Body: body, Signer: signing.NewSigner(key(t)),
		Headers: map[string]string{"X-Custom": "yes", "webhook-id": "forged", "Content-Type": "text/plain"},
	})
	if !res.Delivered() || res.StatusCode != 204 {
		t.Fatalf("result %+v, want delivered 204", res)
	}
	r := got.Load()
	for k, want := range map[string]string{"X-Custom": "yes", "webhook-id": "ev1", "Content-Type": sender.ContentType, "User-Agent": "wamesh/test"} {
		if v := r.Header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	wh, _ := standardwebhooks.NewWebhook(secret)
	if err := wh.Verify(*gotBody.Load(), r.Header); err != nil {
		t.Errorf("reference library rejects the request: %v", err)
	}
}

func TestSendOutcomes(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/steal", http.StatusFound)
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) })
	mux.HandleFunc("/busy", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, strings.Repeat("é", 200<<10))
	})
	release := make(chan struct{})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	s := newSender(300 * time.Millisecond)
	send := func(path string) sender.Result {
		return s.Send(context.Background(), sender.Request{URL: srv.URL + path, ID: "x", Body: []byte("{}"), Signer: signing.NewSigner(key(t))})
	}
	if r := send("/redirect"); r.Delivered() || r.StatusCode != http.StatusFound || !strings.Contains(r.Reason(), "redirect") {
		t.Errorf("redirect: %+v, want an undelivered 302 (not followed)", r)
	}
	if r := send("/gone"); !r.Gone() {
		t.Errorf("gone: %+v", r)
	}
	if r := send("/busy"); r.RetryAfter != 120*time.Second {
		t.Errorf("busy: RetryAfter %s, want 2m", r.RetryAfter)
	}
	if r := send("/big"); r.StatusCode != 500 || len(r.Snippet) > sender.SnippetLen || !strings.HasPrefix(r.Snippet, "éé") || strings.ContainsRune(r.Snippet, '\uFFFD') {
		t.Errorf("big: status %d snippet len %d", r.StatusCode, len(r.Snippet))
	}
	if r := send("/slow"); r.Err == nil || r.Delivered() {
		t.Errorf("slow: %+v, want a timeout error", r)
	}
}

func TestSendRefusesForbiddenDestinations(t *testing.T) {
	t.Parallel()
	s := sender.New(sender.Options{Timeout: time.Second, UserAgent: "wamesh/test"})
	for _, u := range []string{"http://127.0.0.1:1/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:1/", "http://[::ffff:127.0.0.1]:1/", "http://localhost:1/"} {
		r := s.Send(context.Background(), sender.Request{URL: u, ID: "x", Body: []byte("{}")})
		if !errors.Is(r.Err, ssrf.ErrForbidden) {
			t.Errorf("Send(%s) err = %v, want ErrForbidden", u, r.Err)
		}
	}
	if r := s.Send(context.Background(), sender.Request{URL: "::bad", ID: "x"}); r.Err == nil {
		t.Error("malformed URL accepted")
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"": 0, "10": 10 * time.Second, "-5": 0, "junk": 0, "999999999": 24 * time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	}
	for in, want := range cases {
		if got := sender.ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}
