package gateway_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"testing"

	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
)

func multipartFile(t *testing.T, fields map[string]string, complete bool) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("file", "a.jpg")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(bytes.Repeat([]byte{0xff, 0xd8, 0xff}, 1000))
	if complete {
		_ = mw.Close()
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// An upload the client broke is its mistake (400); an object store that
// fails is ours (500 INTERNAL), on every route that stores media.
func TestUploadErrors(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "ta")
	env.Session(t, key, "s1")
	const group = "/v1/sessions/s1/groups/120363000000000001@g.us/picture"
	send := map[string]string{"type": "image"}

	for path, fields := range map[string]map[string]string{"/v1/sessions/s1/media": nil, "/v1/sessions/s1/chats/4915112345678/messages": send} {
		truncated, ct := multipartFile(t, fields, false)
		if r := env.Do(t, "POST", path, key, truncated, "Content-Type", ct); r.Status != 400 || r.Map(t)["code"] != "MALFORMED_REQUEST" {
			t.Errorf("truncated upload to %s: %d %s", path, r.Status, r.Body)
		}
	}

	if err := env.JS.DeleteObjectStore(context.Background(), natsx.ObjectStoreMedia); err != nil {
		t.Fatal(err)
	}
	upload, uct := multipartFile(t, nil, true)
	msg, mct := multipartFile(t, send, true)
	for _, tc := range []struct {
		method, path, ct string
		body             []byte
	}{
		{"POST", "/v1/sessions/s1/media", uct, upload},
		{"POST", "/v1/sessions/s1/chats/4915112345678/messages", mct, msg},
		{"PUT", group, "image/jpeg", bytes.Repeat([]byte{0xff, 0xd8}, 100)},
	} {
		r := env.Do(t, tc.method, tc.path, key, tc.body, "Content-Type", tc.ct)
		if r.Status != 500 || !isProblem(r) || r.Map(t)["code"] != "INTERNAL" {
			t.Errorf("%s %s with the object store gone: %d %s", tc.method, tc.path, r.Status, r.Body)
		}
	}
}
