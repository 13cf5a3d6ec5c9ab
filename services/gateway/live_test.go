package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
)

type sseFrame struct {
	id, event string
	data      []byte
}

// openSSE connects and returns a channel of frames; the connection closes
// with the returned cancel.
func openSSE(t *testing.T, env *gwtest.Env, key, query, lastID string) (<-chan sseFrame, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", env.URL+"/v1/events"+query, nil)
	req.Header.Set("X-API-Key", key)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		t.Fatalf("sse status %d", resp.StatusCode)
	}
	out := make(chan sseFrame, 16)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var f sseFrame
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				f.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				f.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				f.data = []byte(line[6:])
			case line == "" && f.id != "":
				out <- f
				f = sseFrame{}
			}
		}
	}()
	t.Cleanup(cancel)
	return out, cancel
}

func next[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("stream closed")
		}
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("no event in time")
	}
	panic("unreachable")
}

func TestSSEReceivesAndResumes(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "acme")
	env.Session(t, key, "s1")
	otherKey := env.Tenant(t, "other")
	env.Session(t, otherKey, "s2")

	frames, cancel := openSSE(t, env, key, "?types=message.*", "")
	publishReceived(t, env, "other", "s2", "foreign") // other tenant: never seen
	publishReceived(t, env, "acme", "s1", "one")
	f := next(t, frames)
	if f.event != "message.received" || decodeText(t, f.data) != "one" {
		t.Fatalf("first frame %+v", f)
	}
	cancel()
	publishReceived(t, env, "acme", "s1", "two")
	publishReceived(t, env, "acme", "s1", "three")

	frames, _ = openSSE(t, env, key, "?sessions=s1,s1", f.id)
	if got := decodeText(t, next(t, frames).data); got != "two" {
		t.Fatalf("resumed at %q, want two", got)
	}
	if got := decodeText(t, next(t, frames).data); got != "three" {
		t.Fatalf("then %q, want three", got)
	}
	// a foreign session filter is 404, not an empty stream
	env.Do(t, "GET", "/v1/events?sessions=s2", key, nil).Expect(t, 404, "foreign session filter")
}

type wsFrame struct {
	Seq   uint64          `json:"seq"`
	Event json.RawMessage `json:"event"`
}

func openWS(t *testing.T, env *gwtest.Env, key, query string) (*websocket.Conn, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	conn, resp, err := websocket.Dial(ctx, strings.Replace(env.URL, "http", "ws", 1)+"/v1/ws"+query,
		&websocket.DialOptions{HTTPHeader: http.Header{"X-API-Key": []string{key}}})
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn, ctx
}

func readWS(t *testing.T, ctx context.Context, conn *websocket.Conn) wsFrame {
	t.Helper()
	_, b, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("ws read: %v", err)
	}
	var f wsFrame
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestWebSocketReceivesAndResumes(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "acme")
	env.Session(t, key, "s1")

	conn, ctx := openWS(t, env, key, "?types=message.received")
	publishReceived(t, env, "acme", "s1", "one")
	f := readWS(t, ctx, conn)
	if decodeText(t, f.Event) != "one" || f.Seq == 0 {
		t.Fatalf("frame %+v", f)
	}
	conn.Close(websocket.StatusNormalClosure, "")
	publishReceived(t, env, "acme", "s1", "two")

	conn, ctx = openWS(t, env, key, "?since="+strconv.FormatUint(f.Seq, 10))
	if got := decodeText(t, readWS(t, ctx, conn).Event); got != "two" {
		t.Fatalf("resumed at %q, want two", got)
	}
}
