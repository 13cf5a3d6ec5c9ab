package gateway_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/gateway"
	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
)

func commandOf(t *testing.T, owner *gwtest.Owner, r gwtest.Response) commands.Command {
	t.Helper()
	id := r.Map(t)["id"].(string)
	var cmd commands.Command
	testutil.Eventually(t, 10*time.Second, func() bool {
		var ok bool
		cmd, ok = owner.Command(id)
		return ok
	}, "command %s not on the stream", id)
	return cmd
}

func TestChatActionsQueueCommands(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	owner := gwtest.StartOwner(t, env)
	key := env.Tenant(t, "ta")
	env.Session(t, key, "s1")
	const chat = "/v1/sessions/s1/chats/4915112345678"
	const group = "/v1/sessions/s1/groups/120363025246125486@g.us"
	tests := []struct {
		method, path string
		body         any
		kind         commands.Kind
		want         string // substring of the payload
	}{
		{"PATCH", chat + "/messages/3EB0AA", map[string]any{"text": "fixed"}, commands.KindEditMessage, `"targetId":"3EB0AA","text":"fixed"`},
		{"DELETE", chat + "/messages/3EB0AA", nil, commands.KindRevokeMessage, `"targetId":"3EB0AA"`},
		{"POST", chat + "/messages/3EB0AA/reactions", map[string]any{"emoji": "👍"}, commands.KindReact, `"emoji":"👍"`},
		{"POST", chat + "/messages/3EB0AA/forward", map[string]any{"to": "+44 20 7946 0958"}, commands.KindForward, `"sourceChat":"4915112345678@s.whatsapp.net","sourceId":"3EB0AA"`},
		{"POST", chat + "/messages/3EB0AA/votes", map[string]any{"options": []string{"yes"}}, commands.KindPollVote, `"pollId":"3EB0AA","options":["yes"]`},
		{"POST", chat + "/read", map[string]any{"ids": []string{"3EB0AA"}}, commands.KindMarkRead, `"ids":["3EB0AA"]`},
		{"POST", chat + "/presence", map[string]any{"state": "composing"}, commands.KindChatPresence, `"state":"composing"`},
		{"POST", chat + "/archive", map[string]any{"archived": true}, commands.KindChatState, `"archived":true`},
		{"POST", chat + "/pin", map[string]any{"pinned": false}, commands.KindChatState, `"pinned":false`},
		{"POST", group + "/participants", map[string]any{"participants": []string{"+49 151 1234567"}}, commands.KindGroupAction, `"action":"add","participants":["491511234567@s.whatsapp.net"]`},
		{"DELETE", group + "/participants", map[string]any{"participants": []string{"4915100001"}}, commands.KindGroupAction, `"action":"remove"`},
		{"POST", group + "/admins", map[string]any{"participants": []string{"4915100001"}}, commands.KindGroupAction, `"action":"promote"`},
		{"DELETE", group + "/admins", map[string]any{"participants": []string{"4915100001"}}, commands.KindGroupAction, `"action":"demote"`},
		{"POST", group + "/leave", nil, commands.KindGroupAction, `"action":"leave"`},
	}
	for _, tc := range tests {
		r := env.Do(t, tc.method, tc.path, key, tc.body)
		if r.Status != http.StatusAccepted {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.Status, r.Body)
			continue
		}
		cmd := commandOf(t, owner, r)
		if cmd.Kind != tc.kind || !strings.Contains(string(cmd.Payload), tc.want) {
			t.Errorf("%s %s: %s %s, want %s with %s", tc.method, tc.path, cmd.Kind, cmd.Payload, tc.kind, tc.want)
		}
	}
	if r := env.Do(t, "POST", "/v1/sessions/s1/groups/4915112345678/leave", key, nil); r.Status != 400 || r.Map(t)["code"] != "NOT_A_GROUP" {
		t.Errorf("leave a direct chat: %d %s", r.Status, r.Body)
	}
	var upd struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	env.Do(t, "PATCH", group, key, map[string]any{"subject": "New", "announce": true, "locked": false}).Expect(t, 202, "update group").JSON(t, &upd)
	var payloads []string
	for _, it := range upd.Items {
		testutil.Eventually(t, 10*time.Second, func() bool { _, ok := owner.Command(it.ID); return ok }, "group update command")
		cmd, _ := owner.Command(it.ID)
		payloads = append(payloads, string(cmd.Payload))
	}
	if got := strings.Join(payloads, " "); len(payloads) != 3 || !strings.Contains(got, `"action":"subject","value":"New"`) ||
		!strings.Contains(got, `"value":"announce"`) || !strings.Contains(got, `"value":"unlocked"`) {
		t.Errorf("group update payloads: %s", got)
	}
	pic := env.Do(t, "PUT", group+"/picture", key, onePixelPNG, "Content-Type", "image/jpeg").Expect(t, 202, "picture")
	if cmd := commandOf(t, owner, pic); !strings.Contains(string(cmd.Payload), `"action":"picture","value":"med_`) {
		t.Errorf("picture payload %s", cmd.Payload)
	}
}

func TestRPCAndHistoryRoutes(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	gwtest.StartOwner(t, env)
	rs := gwtest.StartReadSide(t, env)
	key := env.Tenant(t, "ta")
	env.Session(t, key, "s1")
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"POST", "/v1/sessions/s1/groups", map[string]any{"subject": "G", "participants": []string{"4915112345678"}}, 201},
		{"GET", "/v1/sessions/s1/groups", nil, 200},
		{"POST", "/v1/sessions/s1/groups/join", map[string]any{"invite": "https://chat.whatsapp.com/abc"}, 200},
		{"GET", "/v1/sessions/s1/groups/120363025246125486@g.us", nil, 200},
		{"GET", "/v1/sessions/s1/groups/120363025246125486@g.us/invite", nil, 200},
		{"POST", "/v1/sessions/s1/groups/120363025246125486@g.us/invite/revoke", nil, 200},
		{"POST", "/v1/sessions/s1/contacts/check", map[string]any{"phones": []string{"+49 151 1234"}}, 200},
		{"GET", "/v1/sessions/s1/contacts/4915112345678/picture", nil, 200},
		{"POST", "/v1/sessions/s1/contacts/4915112345678/block", nil, 204},
		{"DELETE", "/v1/sessions/s1/contacts/4915112345678/block", nil, 204},
		{"POST", "/v1/sessions/s1/pair-code", map[string]any{"phone": "+49 151 12345678"}, 200},
		{"GET", "/v1/sessions/s1/chats?limit=5&type=group", nil, 200},
		{"GET", "/v1/sessions/s1/chats/4915112345678", nil, 200},
		{"GET", "/v1/sessions/s1/chats/4915112345678/messages?cursor=abc", nil, 200},
		{"GET", "/v1/sessions/s1/chats/4915112345678/messages/3EB0AA", nil, 404},
		{"GET", "/v1/sessions/s1/contacts?search=bob", nil, 200},
	} {
		r := env.Do(t, tc.method, tc.path, key, tc.body)
		if r.Status != tc.status {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.Status, r.Body)
		}
	}
	if q := rs.Requests("history.messages"); len(q) != 1 || !strings.Contains(string(q[0]), `"chat":"4915112345678@s.whatsapp.net"`) || !strings.Contains(string(q[0]), `"tenant":"ta"`) {
		t.Errorf("messages query %s", q)
	}
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "ta")
	created := env.Do(t, "POST", "/v1/sessions", key, map[string]any{"name": "gen", "pacing": map[string]any{"perMinute": 20, "burst": 5},
		"proxy": "socks5://93.184.215.14:1080", "metadata": map[string]string{"team": "a"}}).Expect(t, 201, "create").Map(t)
	id := created["id"].(string)
	if !strings.HasPrefix(id, "ses_") || created["status"] != "unknown" {
		t.Fatalf("created %v", created)
	}
	kv, _ := env.JS.KeyValue(context.Background(), natsx.BucketSessions)
	p := env.Do(t, "PATCH", "/v1/sessions/"+id, key, map[string]any{"name": "renamed", "stopped": true}).Expect(t, 200, "patch").Map(t)
	if p["name"] != "renamed" || p["stopped"] != true || p["proxy"] != "socks5://93.184.215.14:1080" {
		t.Fatalf("patched %v", p)
	}
	if r := env.Do(t, "POST", "/v1/sessions/"+id+"/chats/4915112345678/messages", key, map[string]any{"type": "text", "text": "x"}); r.Status != 409 || r.Map(t)["code"] != "SESSION_NOT_CONNECTED" {
		t.Fatalf("send on a stopped session: %d %s", r.Status, r.Body)
	}
	env.Do(t, "POST", "/v1/sessions/"+id+"/restart", key, nil).Expect(t, 202, "restart")
	env.Do(t, "POST", "/v1/sessions/"+id+"/logout", key, nil).Expect(t, 202, "logout")
	s, _, err := control.Get[control.Session](context.Background(), kv, id)
	if err != nil || s.Restart != 1 || s.Logout != 1 || s.Stopped || s.Pacing.PerMinute != 20 || s.Tenant != "ta" {
		t.Fatalf("stored %+v %v", s, err)
	}
	env.Do(t, "DELETE", "/v1/tenants/ta", gwtest.AdminKey, nil).Expect(t, 409, "tenant with sessions")
	env.Do(t, "DELETE", "/v1/sessions/"+id, key, nil).Expect(t, 204, "delete")
	env.Do(t, "GET", "/v1/sessions/"+id, key, nil).Expect(t, 404, "deleted")
	env.Do(t, "DELETE", "/v1/tenants/ta", gwtest.AdminKey, nil).Expect(t, 204, "delete tenant")
	env.Do(t, "GET", "/v1/sessions", key, nil).Expect(t, 403, "key of a deleted tenant")
}

func TestMediaUploadDownload(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "ta")
	env.Session(t, key, "s1")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "doc.pdf")
	_, _ = fw.Write([]byte("%PDF-1.4 fake"))
	_ = mw.Close()
	up := env.Do(t, "POST", "/v1/sessions/s1/media", key, buf.Bytes(), "Content-Type", mw.FormDataContentType()).Expect(t, 201, "upload").Map(t)
	if up["mimetype"] != "application/pdf" || up["size"] != float64(13) {
		t.Fatalf("uploaded %v", up)
	}
	dl := env.Do(t, "GET", "/v1/sessions/s1/media/"+up["id"].(string), key, nil).Expect(t, 200, "download")
	if dl.Header.Get("Content-Type") != "application/pdf" || string(dl.Body) != "%PDF-1.4 fake" || !strings.Contains(dl.Header.Get("Content-Disposition"), "doc.pdf") {
		t.Fatalf("download %v %q", dl.Header, dl.Body)
	}
	tail := env.Do(t, "GET", "/v1/sessions/s1/media/"+up["id"].(string), key, nil, "Range", "bytes=-4").Expect(t, 206, "suffix range")
	if string(tail.Body) != "fake" || tail.Header.Get("Content-Range") != "bytes 9-12/13" {
		t.Fatalf("suffix range %q %s", tail.Body, tail.Header.Get("Content-Range"))
	}
	env.Do(t, "GET", "/v1/sessions/s1/media/"+up["id"].(string), key, nil, "Range", "bytes=50-").Expect(t, 416, "unsatisfiable")
	env.Do(t, "GET", "/v1/sessions/s1/media/med_missing", key, nil).Expect(t, 404, "missing")
	env.Do(t, "POST", "/v1/sessions/s1/chats/4915112345678/messages", key, map[string]any{"type": "document", "media": map[string]any{"mediaId": "med_missing"}}).Expect(t, 422, "unknown media id")
	env.Do(t, "POST", "/v1/sessions/s1/chats/4915112345678/messages", key, map[string]any{"type": "document", "media": map[string]any{"url": "http://169.254.169.254/latest/meta-data"}}).Expect(t, 422, "media url to a private address")
}

func TestLimitsAndCORS(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t, func(c *gateway.Config) { c.KeyRate = 2; c.CORSOrigins = "https://app.example" })
	key := env.Tenant(t, "ta")
	var limited gwtest.Response
	for range 20 {
		if r := env.Do(t, "GET", "/v1/sessions", key, nil); r.Status == http.StatusTooManyRequests {
			limited = r
			break
		}
	}
	if limited.Status != 429 || limited.Header.Get("Retry-After") == "" || limited.Header.Get("RateLimit-Limit") != "2" || !isProblem(limited) {
		t.Fatalf("rate limit: %d %v %s", limited.Status, limited.Header, limited.Body)
	}
	pre := env.Do(t, "OPTIONS", "/v1/sessions", "", nil, "Origin", "https://app.example", "Access-Control-Request-Method", "POST")
	if pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatalf("cors preflight: %d %v", pre.Status, pre.Header)
	}
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	if r := env.Do(t, "POST", "/v1/sessions", key, big); r.Status != 413 && r.Status != 429 {
		t.Fatalf("oversized: %d %s", r.Status, r.Body)
	}
}

func TestStaticPagesAndSandbox(t *testing.T) {
	t.Parallel()
	sandbox := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("sandbox:" + r.URL.Path)) })
	env := gwtest.Start(t, func(c *gateway.Config) { c.Sandbox = sandbox })
	key := env.Tenant(t, "ta")
	if r := env.Do(t, "GET", "/openapi.yaml", "", nil).Expect(t, 200, "spec"); !bytes.HasPrefix(r.Body, []byte("openapi: 3")) {
		t.Fatal("spec body")
	}
	env.Do(t, "GET", "/openapi.json", "", nil).Expect(t, 200, "spec json")
	if r := env.Do(t, "GET", "/docs", "", nil).Expect(t, 200, "docs"); !strings.Contains(string(r.Body), "/openapi.json") {
		t.Fatal("docs page")
	}
	env.Do(t, "GET", "/ui", "", nil).Expect(t, 200, "ui")
	env.Do(t, "GET", "/readyz", "", nil).Expect(t, 200, "readyz")
	env.Do(t, "GET", "/metrics", "", nil).Expect(t, 200, "metrics")
	env.Do(t, "GET", "/sandbox/v1/phones", "", nil).Expect(t, 401, "sandbox without key")
	env.Do(t, "GET", "/sandbox/v1/phones", key, nil).Expect(t, 403, "sandbox with tenant key")
	if r := env.Do(t, "GET", "/sandbox/v1/phones", gwtest.AdminKey, nil).Expect(t, 200, "sandbox"); string(r.Body) != "sandbox:/sandbox/v1/phones" {
		t.Fatalf("sandbox body %q", r.Body)
	}
}

func TestTraceParentReachesCommand(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	owner := gwtest.StartOwner(t, env)
	key := env.Tenant(t, "ta")
	env.Session(t, key, "s1")
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	r := env.Do(t, "POST", "/v1/sessions/s1/chats/4915112345678/messages", key, map[string]any{"type": "text", "text": "traced"},
		"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01").Expect(t, 202, "send")
	if cmd := commandOf(t, owner, r); !strings.Contains(cmd.TraceParent, traceID) {
		t.Fatalf("command traceparent %q", cmd.TraceParent)
	}
}

func TestLoggedOutSessionRefusesSends(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "ta")
	env.Session(t, key, "s1")
	kv, err := env.JS.KeyValue(context.Background(), natsx.BucketSessionState)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := control.Put(context.Background(), kv, "s1", control.SessionState{Session: "s1", Tenant: "ta", Status: control.StatusLoggedOut}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() bool {
		return env.Do(t, "GET", "/v1/sessions/s1", key, nil).Map(t)["status"] == control.StatusLoggedOut
	}, "state not seen")
	r := env.Do(t, "POST", "/v1/sessions/s1/chats/4915112345678/messages", key, map[string]any{"type": "text", "text": "x"})
	if r.Status != 409 || r.Map(t)["code"] != "SESSION_NOT_CONNECTED" {
		t.Fatalf("send on a logged-out session: %d %s", r.Status, r.Body)
	}
	if qr := env.Do(t, "GET", "/v1/sessions/s1/qr?format=png", key, nil); qr.Status != 503 {
		t.Fatalf("qr of a logged-out session without owner: %d %s", qr.Status, qr.Body)
	}
}
