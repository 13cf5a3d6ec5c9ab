package gateway_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
)

// A session proxy is a destination like a webhook URL: the SSRF guard
// checks it on create and on PATCH, and its password is never shown.
func TestSessionProxy(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "ta")
	env.Session(t, key, "s1")

	bad := []string{"socks5://169.254.169.254:1080", "http://10.0.0.1:3128", "socks5://u:p@127.0.0.1:4222",
		"https://[::1]:5432", "http://192.168.1.1", "ftp://93.184.215.14:21", "socks5://", "socks4://93.184.215.14:1080"}
	for _, proxy := range bad {
		if r := env.Do(t, "POST", "/v1/sessions", key, map[string]any{"proxy": proxy}); r.Status != 422 || !isProblem(r) || r.Map(t)["code"] != "VALIDATION_FAILED" {
			t.Errorf("create with proxy %q: %d %s", proxy, r.Status, r.Body)
		}
		if r := env.Do(t, "PATCH", "/v1/sessions/s1", key, map[string]any{"proxy": proxy}); r.Status != 422 || !isProblem(r) || r.Map(t)["code"] != "VALIDATION_FAILED" {
			t.Errorf("patch to proxy %q: %d %s", proxy, r.Status, r.Body)
		}
	}

	const proxy = "socks5://user:s3cret@93.184.215.14:1080"
	created := env.Do(t, "POST", "/v1/sessions", key, map[string]any{"id": "s2", "proxy": proxy}).Expect(t, 201, "create with proxy")
	patched := env.Do(t, "PATCH", "/v1/sessions/s1", key, map[string]any{"proxy": "http://u2:pw2@93.184.215.14:3128"}).Expect(t, 200, "patch proxy")
	got := env.Do(t, "GET", "/v1/sessions/s2", key, nil).Expect(t, 200, "get")
	list := env.Do(t, "GET", "/v1/sessions", key, nil).Expect(t, 200, "list")
	for what, r := range map[string]gwtest.Response{"create": created, "patch": patched, "get": got, "list": list} {
		if body := string(r.Body); strings.Contains(body, "s3cret") || strings.Contains(body, "pw2") {
			t.Errorf("%s shows the proxy password: %s", what, body)
		}
	}
	if p := got.Map(t)["proxy"]; p != "socks5://user:xxxxx@93.184.215.14:1080" {
		t.Errorf("masked proxy %v", p)
	}
	kv, err := env.JS.KeyValue(context.Background(), natsx.BucketSessions)
	if err != nil {
		t.Fatal(err)
	}
	if s, _, err := control.Get[control.Session](context.Background(), kv, "s2"); err != nil || s.Proxy != proxy {
		t.Fatalf("stored proxy %q %v", s.Proxy, err)
	}
	if p := env.Do(t, "PATCH", "/v1/sessions/s1", key, map[string]any{"proxy": ""}).Expect(t, 200, "remove proxy").Map(t); p["proxy"] != nil {
		t.Fatalf("proxy not removed: %v", p)
	}
}
