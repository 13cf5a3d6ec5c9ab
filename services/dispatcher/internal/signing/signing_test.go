package signing_test

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/wamesh/wamesh/services/dispatcher/internal/signing"
)

// The test vector of the Standard Webhooks reference libraries.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func mustKey(t testing.TB, s string) signing.Key {
	t.Helper()
	k, err := signing.Decode(s)
	if err != nil {
		t.Fatalf("Decode(%q): %v", s, err)
	}
	return k
}

func headers(id string, ts time.Time, sig string) http.Header {
	h := http.Header{}
	h.Set(signing.HeaderID, id)
	h.Set(signing.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(signing.HeaderSignature, sig)
	return h
}

func TestReferenceVector(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{vectorSecret, strings.TrimPrefix(vectorSecret, signing.SecretPrefix)} {
		got := mustKey(t, secret).Sign(vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorPayload))
		if got != vectorSignature {
			t.Errorf("Sign with %q = %s, want %s", secret, got, vectorSignature)
		}
	}
}

func TestVerifiesWithReferenceLibrary(t *testing.T) {
	t.Parallel()
	body := []byte(`{"specversion":"1.0","id":"e1","type":"wamesh.message.received","data":{"text":"héllo"}}`)
	now := time.Now()
	sig := signing.Signature([]signing.Key{mustKey(t, vectorSecret)}, "e1", now, body)
	wh, err := standardwebhooks.NewWebhook(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(body, headers("e1", now, sig)); err != nil {
		t.Fatalf("reference library rejects our signature: %v", err)
	}
	tampered := append([]byte{}, body...)
	tampered[len(tampered)-3] = 'X'
	if err := wh.Verify(tampered, headers("e1", now, sig)); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("tampered body verified: %v", err)
	}
	if err := wh.Verify(body, headers("e2", now, sig)); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("other id verified: %v", err)
	}
}

func TestRotationBothSecretsVerify(t *testing.T) {
	t.Parallel()
	oldSecret, newSecret := vectorSecret, "whsec_"+"c2VjcmV0LXR3by1zZWNyZXQtdHdvLXNlY3JldC10d28="
	body := []byte(`{"id":"x"}`)
	now := time.Now()
	sig := signing.Signature([]signing.Key{mustKey(t, newSecret), mustKey(t, oldSecret)}, "x", now, body)
	if n := len(strings.Fields(sig)); n != 2 {
		t.Fatalf("signature %q has %d parts, want 2", sig, n)
	}
	for _, s := range []string{oldSecret, newSecret} {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, headers("x", now, sig)); err != nil {
			t.Errorf("secret %s does not verify during rotation: %v", s[:10], err)
		}
	}
	other, _ := standardwebhooks.NewWebhook("whsec_" + "b3RoZXItb3RoZXItb3RoZXI=")
	if err := other.Verify(body, headers("x", now, sig)); err == nil {
		t.Error("an unrelated secret verifies")
	}
}

func TestDecodeRejectsBadSecrets(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "whsec_", "whsec_not base64!", "whsec_===="} {
		if _, err := signing.Decode(s); !errors.Is(err, signing.ErrBadSecret) {
			t.Errorf("Decode(%q) = %v, want ErrBadSecret", s, err)
		}
	}
}

// FuzzSignature checks every signature we produce verifies with the
// reference library, whatever the id, timestamp and body.
func FuzzSignature(f *testing.F) {
	f.Add([]byte("key-bytes-1234567890"), "msg_1", int64(1614265330), []byte(vectorPayload))
	f.Add([]byte{0}, "", int64(0), []byte{})
	f.Fuzz(func(t *testing.T, key []byte, id string, unix int64, body []byte) {
		if len(key) == 0 || id == "" || strings.ContainsAny(id, "\r\n") || unix < 0 || unix > 1<<40 {
			return
		}
		ts := time.Unix(unix, 0)
		sig := signing.Signature([]signing.Key{signing.Key(key)}, id, ts, body)
		wh, _ := standardwebhooks.NewWebhookRaw(key)
		hc := http.Header{}
		hc.Set(signing.HeaderID, id)
		hc.Set(signing.HeaderTimestamp, strconv.FormatInt(unix, 10))
		hc.Set(signing.HeaderSignature, sig)
		if err := wh.VerifyIgnoringTimestamp(body, hc); err != nil {
			t.Fatalf("reference library rejects id=%q ts=%d: %v", id, unix, err)
		}
	})
}

// TestSignerReuse: a Signer reusing its HMAC states, from many goroutines,
// signs exactly as fresh keys do.
func TestSignerReuse(t *testing.T) {
	t.Parallel()
	k1, k2 := mustKey(t, vectorSecret), mustKey(t, "whsec_c2VjcmV0LXR3by1zZWNyZXQtdHdvLXNlY3JldC10d28=")
	s := signing.NewSigner(k1, k2)
	now := time.Unix(1700000000, 0)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				id, body := fmt.Sprintf("msg_%d_%d", g, i), []byte(fmt.Sprintf(`{"n":%d}`, i))
				want := k1.Sign(id, now, body) + " " + k2.Sign(id, now, body)
				if got := s.Signature(id, now, body); got != want {
					t.Errorf("Signer.Signature(%s) = %q, want %q", id, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
