package gateway_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wamesh/wamesh/services/gateway/internal/auth"
	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
)

func isProblem(r gwtest.Response) bool {
	return r.Header.Get("Content-Type") == "application/problem+json" && strings.Contains(string(r.Body), `"code"`)
}

// TestBOLAMatrix: tenant A's key against every route of the spec with tenant
// B's session and webhook ids is 404, with the fake owner ready to answer.
func TestBOLAMatrix(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	gwtest.StartOwner(t, env)
	keyA := env.Tenant(t, "ta")
	keyB := env.Tenant(t, "tb")
	env.Session(t, keyA, "sa")
	env.Session(t, keyB, "sb")
	whB := env.Do(t, "POST", "/v1/webhooks", keyB, map[string]any{"url": "https://93.184.215.14/hook"}).Expect(t, 201, "webhook B").Map(t)["id"].(string)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "b.txt")
	_, _ = fw.Write([]byte("tenant B's file"))
	_ = mw.Close()
	mediaB := env.Do(t, "POST", "/v1/sessions/sb/media", keyB, buf.Bytes(), "Content-Type", mw.FormDataContentType()).Expect(t, 201, "media B").Map(t)["id"].(string)
	// B's media id under A's own session is not B's object
	env.Do(t, "GET", "/v1/sessions/sa/media/"+mediaB, keyA, nil).Expect(t, 404, "B's media via A's session")
	env.Do(t, "POST", "/v1/sessions/sa/chats/4915112345678/messages", keyA,
		map[string]any{"type": "image", "media": map[string]any{"mediaId": mediaB}}).Expect(t, 422, "send B's media from A")
	values := map[string]string{"session": "sb", "webhook": whB, "chat": "4915112345678", "group": "120363025246125486@g.us",
		"contact": "4915112345678", "message": "3EB0AAAA", "media": mediaB, "token": "tok_x", "delivery": "d1"}
	checked := 0
	for _, r := range gwtest.Routes(t) {
		if !r.Has("session") && !r.Has("webhook") {
			continue
		}
		path := r.Fill(values)
		resp := env.Do(t, r.Method, path, keyA, "{}")
		if resp.Status != http.StatusNotFound || !isProblem(resp) {
			t.Errorf("%s %s with a foreign id: %d %s", r.Method, path, resp.Status, resp.Body)
		}
		checked++
	}
	if checked < 40 {
		t.Fatalf("only %d routes checked", checked)
	}
	for _, path := range []string{"/v1/events?sessions=sb", "/v1/ws?sessions=sb"} {
		if r := env.Do(t, "GET", path, keyA, nil); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
		}
	}
	if r := env.Do(t, "GET", "/v1/sessions", keyA, nil).Expect(t, 200, "list"); strings.Contains(string(r.Body), `"sb"`) {
		t.Error("tenant A lists B's session")
	}
	if r := env.Do(t, "GET", "/v1/webhooks", keyA, nil).Expect(t, 200, "list"); strings.Contains(string(r.Body), whB) {
		t.Error("tenant A lists B's webhook")
	}
	// session ids are global: A cannot take B's id, and learns nothing else
	r := env.Do(t, "POST", "/v1/sessions", keyA, map[string]any{"id": "sb"}).Expect(t, 409, "taken id")
	if strings.Contains(string(r.Body), "tb") {
		t.Errorf("conflict reveals the owner: %s", r.Body)
	}
	// tenant keys cannot administer tenants
	env.Do(t, "GET", "/v1/tenants/tb", keyA, nil).Expect(t, 403, "tenant key on admin route")
}

func TestSessionTokens(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	gwtest.StartOwner(t, env)
	key := env.Tenant(t, "ta")
	env.Session(t, key, "sx")
	env.Session(t, key, "sy")
	created := env.Do(t, "POST", "/v1/sessions/sx/tokens", key, map[string]any{"ttlSeconds": 600}).Expect(t, 201, "token").Map(t)
	tok, tokID := created["token"].(string), created["id"].(string)
	bearer := func(method, path, tk string) gwtest.Response {
		return env.Do(t, method, path, "", nil, "Authorization", "Bearer "+tk)
	}
	bearer("GET", "/v1/sessions/sx", tok).Expect(t, 200, "own session")
	bearer("GET", "/v1/sessions/sx/qr", tok).Expect(t, 200, "own qr")
	bearer("GET", "/v1/sessions/sy", tok).Expect(t, 404, "other session")
	bearer("GET", "/v1/sessions/sy/qr", tok).Expect(t, 404, "other session qr")
	bearer("GET", "/v1/webhooks", tok).Expect(t, 403, "non-session route")
	bearer("POST", "/v1/sessions/sx/tokens", tok).Expect(t, 403, "token minting tokens")
	if l := bearer("GET", "/v1/sessions", tok).Expect(t, 200, "list").Body; strings.Contains(string(l), `"sy"`) {
		t.Error("token lists another session")
	}

	signer, err := auth.NewTokens([]byte(gwtest.JWTSecret))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := auth.NewTokens([]byte(strings.Repeat("w", 40)))
	expired, _ := signer.Sign(tokID, "ta", "sx", []string{"read"}, time.Now().Add(-time.Minute))
	wrongKey, _ := other.Sign(tokID, "ta", "sx", []string{"read"}, time.Now().Add(time.Hour))
	forged, _ := signer.Sign("tok_unknown", "ta", "sx", []string{"read"}, time.Now().Add(time.Hour))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, auth.Claims{Tenant: "ta", Session: "sx", Scopes: []string{"read"},
		RegisteredClaims: jwt.RegisteredClaims{ID: tokID, Issuer: auth.TokenIssuer, ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	for name, bad := range map[string]string{"expired": expired, "wrong key": wrongKey, "alg none": none, "unknown jti": forged} {
		if r := bearer("GET", "/v1/sessions/sx", bad); r.Status != http.StatusForbidden || !isProblem(r) {
			t.Errorf("%s token: %d %s", name, r.Status, r.Body)
		}
	}
	env.Do(t, "DELETE", "/v1/sessions/sx/tokens/"+tokID, key, nil).Expect(t, 204, "revoke")
	bearer("GET", "/v1/sessions/sx", tok).Expect(t, 403, "revoked token")

	// a token does not survive its session being deleted and re-created
	tok2 := env.Do(t, "POST", "/v1/sessions/sy/tokens", key, map[string]any{}).Expect(t, 201, "token").Map(t)["token"].(string)
	bearer("GET", "/v1/sessions/sy", tok2).Expect(t, 200, "fresh token")
	env.Do(t, "DELETE", "/v1/sessions/sy", key, nil).Expect(t, 204, "delete session")
	bearer("GET", "/v1/sessions/sy", tok2).Expect(t, 403, "token of a deleted session")
	env.Session(t, key, "sy")
	bearer("GET", "/v1/sessions/sy", tok2).Expect(t, 403, "token of a re-created session")
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "ta")
	env.Do(t, "GET", "/v1/sessions", "", nil).Expect(t, 401, "missing")
	env.Do(t, "GET", "/v1/sessions", "wam_nonsense", nil).Expect(t, 403, "malformed")
	env.Do(t, "GET", "/v1/sessions", auth.NewKey(), nil).Expect(t, 403, "unknown")
	env.Do(t, "GET", "/v1/sessions", "", nil, "Authorization", "Bearer "+key).Expect(t, 200, "bearer")

	ro := env.Do(t, "POST", "/v1/tenants/ta/keys", gwtest.AdminKey, map[string]any{"scopes": []string{"read"}}).Expect(t, 201, "ro key").Map(t)
	env.Do(t, "GET", "/v1/sessions", ro["key"].(string), nil).Expect(t, 200, "read scope")
	env.Do(t, "POST", "/v1/sessions", ro["key"].(string), map[string]any{}).Expect(t, 403, "manage scope missing")
	env.Do(t, "DELETE", "/v1/tenants/ta/keys/"+ro["id"].(string), gwtest.AdminKey, nil).Expect(t, 204, "revoke")
	env.Do(t, "GET", "/v1/sessions", ro["key"].(string), nil).Expect(t, 403, "revoked")

	env.Do(t, "PATCH", "/v1/tenants/ta", gwtest.AdminKey, map[string]any{"maxSessions": 1}).Expect(t, 200, "quota")
	env.Session(t, key, "s1")
	env.Do(t, "POST", "/v1/sessions", key, map[string]any{"id": "s2"}).Expect(t, 409, "over quota")
	env.Do(t, "PATCH", "/v1/tenants/ta", gwtest.AdminKey, map[string]any{"disabled": true}).Expect(t, 200, "disable")
	env.Do(t, "GET", "/v1/sessions", key, nil).Expect(t, 403, "disabled tenant")
}
