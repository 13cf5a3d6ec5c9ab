package gateway_test

import (
	"encoding/json"

	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
)

// wrongValue returns a JSON value of a type the schema does not accept.
func wrongValue(s *openapi3.Schema) any {
	if s != nil && s.Type != nil && s.Type.Is("string") {
		return 12345
	}
	return "not-the-right-type"
}

// badBodies derives invalid JSON bodies from a body schema.
func badBodies(s *openapi3.Schema) map[string]string {
	out := map[string]string{
		"malformed JSON": `{"type": "text", `,
		"not an object":  `[1,2,3]`,
		"unknown field":  `{"zzz_unknown": 1}`,
		"null":           `null`,
	}
	if len(s.Required) > 0 {
		out["missing required fields"] = `{}`
	}
	for name, prop := range s.Properties {
		b, _ := json.Marshal(map[string]any{name: wrongValue(prop.Value)})
		out["wrong type of "+name] = string(b)
		if prop.Value != nil && len(prop.Value.Enum) > 0 {
			b, _ := json.Marshal(map[string]any{name: "no-such-enum-value"})
			out["unknown enum of "+name] = string(b)
		}
		if prop.Value != nil && prop.Value.Items != nil && prop.Value.Items.Value != nil && len(prop.Value.Items.Value.Enum) > 0 {
			b, _ := json.Marshal(map[string]any{name: []string{"no-such-enum-value"}})
			out["unknown enum item of "+name] = string(b)
		}
	}
	return out
}

// TestMalformedRequests sends bad bodies and parameters to every operation
// of the spec: the answer is always a 4xx problem+json, never a 5xx.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	gwtest.StartOwner(t, env)
	key := env.Tenant(t, "ta")
	env.Session(t, key, "sa")
	wh := env.Do(t, "POST", "/v1/webhooks", key, map[string]any{"url": "https://93.184.215.14/hook"}).Expect(t, 201, "webhook").Map(t)["id"].(string)
	values := map[string]string{"session": "sa", "webhook": wh, "tenant": "ta", "chat": "4915112345678", "group": "120363025246125486@g.us",
		"contact": "4915112345678", "message": "3EB0AAAA", "media": "med_x", "token": "tok_x", "delivery": "d1", "key": "key_x"}
	oversized := `{"text":"` + strings.Repeat("x", 1<<20) + `"}`
	total := 0
	for _, r := range gwtest.Routes(t) {
		k := key
		if strings.HasPrefix(r.Path, "/v1/tenants") {
			k = gwtest.AdminKey
		}
		path := r.Fill(values)
		check := func(what, method, p, body string, headers ...string) {
			t.Helper()
			total++
			resp := env.Do(t, method, p, k, body, headers...)
			if resp.Status < 400 || resp.Status > 499 || !isProblem(resp) {
				t.Errorf("%s %s (%s): %d %s %.200s", method, p, what, resp.Status, resp.Header.Get("Content-Type"), resp.Body)
			}
		}
		if r.Method == "POST" || r.Method == "PATCH" || r.Method == "PUT" {
			check("oversized body", r.Method, path, oversized)
		}
		if s := r.JSONBody(); s != nil {
			for what, body := range badBodies(s) {
				check(what, r.Method, path, body)
			}
		}
		for _, q := range []string{"limit=abc", "limit=100000", "since=-1", "wait=forever", "format=gif", "type=channel"} {
			name := strings.Split(q, "=")[0]
			if hasQuery(r.Op, name) {
				check("bad query "+q, r.Method, path+"?"+q, "")
			}
		}
		if r.Has("chat") {
			check("bad chat", r.Method, strings.Replace(path, "4915112345678", "not-a-phone", 1), "")
		}
		if r.Has("group") {
			check("direct chat as group", r.Method, strings.Replace(path, "120363025246125486@g.us", "4915112345678", 1), `{}`)
		}
		if r.Has("session") {
			check("invalid session id", r.Method, strings.Replace(path, "/sa", "/"+strings.Repeat("x", 65), 1), "")
		}
	}
	if total < 200 {
		t.Fatalf("only %d requests checked", total)
	}
	t.Logf("%d malformed requests answered with 4xx problem+json", total)
}

func hasQuery(op *openapi3.Operation, name string) bool {
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == "query" && p.Value.Name == name {
			return true
		}
	}
	return false
}

func TestEchoErrorsAreProblems(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "ta")
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/nope", 404}, {"PUT", "/v1/sessions", 405}, {"GET", "/nope", 404},
	} {
		r := env.Do(t, tc.method, tc.path, key, nil)
		if r.Status != tc.status || !isProblem(r) || r.Header.Get("X-Request-ID") == "" {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.Status, r.Body)
		}
	}
	r := env.Do(t, "POST", "/v1/sessions/x/chats/4915112345678/messages", key, `{"type": "text"`)
	if r.Status != 404 {
		t.Errorf("unknown session before body: %d", r.Status)
	}
}

// TestUploadContentTypeIsNoBypass: a JSON route sent as multipart or image is
// refused, not handled without validation.
func TestUploadContentTypeIsNoBypass(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "ta")
	for _, ct := range []string{"image/png", "multipart/form-data; boundary=x", "application/octet-stream"} {
		r := env.Do(t, "POST", "/v1/sessions", key, `{"id":"sneaky","name":"`+strings.Repeat("x", 300)+`"}`, "Content-Type", ct)
		if r.Status < 400 || r.Status > 499 || !isProblem(r) {
			t.Errorf("POST /v1/sessions as %s: %d %s", ct, r.Status, r.Body)
		}
	}
	env.Do(t, "GET", "/v1/sessions/sneaky", key, nil).Expect(t, 404, "session created around validation")
}
