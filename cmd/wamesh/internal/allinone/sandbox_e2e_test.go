package allinone

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wamesh/wamesh/pkg/testutil"
)

// client is a tiny JSON client for the black-box test.
type client struct {
	t    *testing.T
	base string
	key  string
}

func (c client) do(method, path string, body any, wantStatus int) map[string]any {
	c.t.Helper()
	status, out, raw := c.try(method, path, body)
	if status != wantStatus {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, wantStatus, raw)
	}
	return out
}

// try sends a request and returns status, decoded JSON and the raw body.
func (c client) try(method, path string, body any) (int, map[string]any, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(raw) > 0 && raw[0] == '{' {
		_ = json.Unmarshal(raw, &out)
	} else if len(raw) > 0 && raw[0] == '[' {
		var items []any
		_ = json.Unmarshal(raw, &items)
		out["items"] = items
	}
	return resp.StatusCode, out, raw
}

func items(m map[string]any) []map[string]any {
	raw, _ := m["items"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, r := range raw {
		if mm, ok := r.(map[string]any); ok {
			out = append(out, mm)
		}
	}
	return out
}

// sseReader collects the data lines of an SSE stream.
func sseReader(t *testing.T, ctx context.Context, url, key string) <-chan string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("sse: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sse status %d", resp.StatusCode)
	}
	ch := make(chan string, 64)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
				select {
				case ch <- strings.TrimSpace(data):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch
}

func waitFor(t *testing.T, ch <-chan string, what string, match func(string) bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case s := <-ch:
			if match(s) {
				return
			}
		case <-deadline:
			t.Fatalf("%s: no matching event within 30s", what)
		}
	}
}

// TestSandboxEndToEnd drives the product as a user would, over HTTP only:
// wamesh --sandbox, an admin creates a tenant and key, the tenant creates a
// session, a simulated phone scans its QR, messages go both ways, and live
// clients (SSE and WebSocket) see what arrives.
func TestSandboxEndToEnd(t *testing.T) {
	httpAddr := testutil.FreeAddr(t)
	t.Setenv("WAMESH_DATA_DIR", t.TempDir())
	t.Setenv("WAMESH_HTTP_ADDR", httpAddr)
	t.Setenv("WAMESH_NATS_LISTEN", "off")
	t.Setenv("WAMESH_ADMIN_KEY", "wam_admin_e2e_test_key_0123456789")
	t.Setenv("WAMESH_LOG_LEVEL", "warn")
	r := start(t, "--sandbox")
	base := "http://" + httpAddr
	waitReady(t, base+"/readyz", r)

	admin := client{t: t, base: base, key: "wam_admin_e2e_test_key_0123456789"}
	admin.do("POST", "/v1/tenants", map[string]any{"id": "acme", "name": "Acme"}, 201)
	created := admin.do("POST", "/v1/tenants/acme/keys", map[string]any{"scopes": []string{"read", "send", "manage"}}, 201)
	key, _ := created["key"].(string)
	if !strings.HasPrefix(key, "wam_") {
		t.Fatalf("tenant key %q", key)
	}
	acme := client{t: t, base: base, key: key}
	acme.do("POST", "/v1/sessions", map[string]any{"id": "s1", "name": "support"}, 201)

	var qr string
	testutil.Eventually(t, 30*time.Second, func() bool {
		// 503 SESSION_UNAVAILABLE until the session pod has taken the shard.
		status, body, _ := acme.try("GET", "/v1/sessions/s1/qr", nil)
		qr, _ = body["code"].(string)
		return status == 200 && qr != ""
	}, "no QR code for the new session")

	admin.do("POST", "/sandbox/v1/phones", map[string]any{"phone": "+15550000001", "name": "Acme Support"}, 201)
	admin.do("POST", "/sandbox/v1/phones", map[string]any{"phone": "+15550000002", "name": "Bob"}, 201)
	admin.do("POST", "/sandbox/v1/phones/15550000001/scan", map[string]any{"qr": qr}, 200)
	testutil.Eventually(t, 30*time.Second, func() bool {
		return acme.do("GET", "/v1/sessions/s1", nil, 200)["status"] == "connected"
	}, "session never connected")

	ctx, cancel := context.WithCancel(testutil.Context(t))
	defer cancel()
	sse := sseReader(t, ctx, base+"/v1/events?types=message.received", key)
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/v1/ws?types=message.received",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + key}}})
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	defer ws.CloseNow()
	wsCh := make(chan string, 64)
	go func() {
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				return
			}
			wsCh <- string(b)
		}
	}()

	png := []byte("\x89PNG\r\n\x1a\n fake image bytes for the e2e test")
	sends := []map[string]any{
		{"type": "text", "text": "hello from acme"},
		{"type": "image", "caption": "a picture", "media": map[string]any{"base64": base64.StdEncoding.EncodeToString(png), "mimetype": "image/png"}},
		{"type": "location", "location": map[string]any{"latitude": 52.52, "longitude": 13.405, "name": "Berlin"}},
		{"type": "poll", "poll": map[string]any{"question": "Lunch?", "options": []string{"Pizza", "Sushi"}, "selectableCount": 1}},
	}
	sent := acme.do("POST", "/v1/sessions/s1/chats/+15550000002/messages?wait=20s", sends[0], 200)
	if sent["id"] == nil {
		t.Fatalf("wait=20s answer lacks id: %v", sent)
	}
	for _, m := range sends[1:] {
		acme.do("POST", "/v1/sessions/s1/chats/+15550000002/messages", m, 202)
	}
	testutil.Eventually(t, 30*time.Second, func() bool {
		got := map[string]bool{}
		for _, m := range items(admin.do("GET", "/sandbox/v1/phones/15550000002/messages", nil, 200)) {
			got[fmt.Sprint(m["type"])] = true
		}
		return got["text"] && got["image"] && got["location"] && got["poll"]
	}, "Bob did not receive text, image, location and poll")

	admin.do("POST", "/sandbox/v1/phones/15550000002/messages", map[string]any{"to": "+15550000001", "text": "hi back from bob"}, 201)
	isReply := func(s string) bool { return strings.Contains(s, "hi back from bob") }
	waitFor(t, sse, "SSE message.received", isReply)
	waitFor(t, wsCh, "WebSocket message.received", isReply)

	testutil.Eventually(t, 30*time.Second, func() bool {
		var mine, theirs bool
		for _, m := range items(acme.do("GET", "/v1/sessions/s1/chats/+15550000002/messages", nil, 200)) {
			if m["fromMe"] == true && m["text"] == "hello from acme" {
				mine = true
			}
			if m["fromMe"] != true && m["text"] == "hi back from bob" {
				theirs = true
			}
		}
		return mine && theirs
	}, "chat history lacks one direction")
}
