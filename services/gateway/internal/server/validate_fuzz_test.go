package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/httpx"
)

// FuzzSendBody feeds arbitrary bodies to the spec validator of the send
// route: it never panics, refusals are 4xx problems, and every valid JSON
// body it accepts decodes into commands.SendMessage (spec and Go types agree).
func FuzzSendBody(f *testing.F) {
	v, err := newValidator()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{`{"type":"text","text":"hi"}`, `{"type":"image","media":{"base64":"aGk="}}`,
		`{"type":"poll","poll":{"question":"q","options":["a","b"]}}`, `{"type":"location","location":{"latitude":1,"longitude":2}}`,
		`{"type":"contact","contacts":[{"displayName":"a","vcard":"v"}]}`, `{`, `[]`, `{"type":5}`, `null`} {
		f.Add(s)
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/sessions/s1/chats/4915112345678/messages", strings.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		c := e.NewContext(req, httptest.NewRecorder())
		accepted := false
		err := v.middleware(func(echo.Context) error { accepted = true; return nil })(c)
		if accepted {
			// the handler decodes strictly: trailing data after a valid
			// value (which kin-openapi's stream decoder ignores) is a 400
			var m commands.SendMessage
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			err := decode(e.NewContext(req, httptest.NewRecorder()), &m)
			if json.Valid([]byte(body)) && err != nil {
				t.Fatalf("spec accepted %q but it does not decode: %v", body, err)
			}
			if p, ok := err.(*httpx.Problem); err != nil && (!ok || p.Status != http.StatusBadRequest) {
				t.Fatalf("decode of %q: %v", body, err)
			}
			return
		}
		p, ok := err.(*httpx.Problem)
		if !ok || p.Status < 400 || p.Status > 499 {
			t.Fatalf("refusal of %q is %v", body, err)
		}
	})
}
