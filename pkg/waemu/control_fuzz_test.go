package waemu

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzControlSend checks that no request body makes the send endpoint fail
// with a 5xx or panic: bad input is always a 4xx problem.
func FuzzControlSend(f *testing.F) {
	for _, seed := range []string{
		`{"to":"+15550000002","text":"hi"}`,
		`{"to":"+15550000002","type":"image","content":"aGVsbG8="}`,
		`{"to":"+15550000002","type":"reaction","messageId":"X","emoji":"👍"}`,
		`{"to":"15550000002@s.whatsapp.net","type":"poll","name":"Q","options":["a","b"]}`,
		`{"to":"120363000000000001@g.us","text":"x"}`,
		`{"to":"","type":"location"}`,
		`{"to":"+15550000002","type":"vote","messageId":"nope","options":["a"]}`,
		`[]`, `{"to":1}`, ``,
	} {
		f.Add(seed)
	}
	srv := startServer(f)
	if _, err := srv.CreatePhone("+15550000001", "A"); err != nil {
		f.Fatal(err)
	}
	if _, err := srv.CreatePhone("+15550000002", "B"); err != nil {
		f.Fatal(err)
	}
	h := srv.ControlHandler()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, ControlPrefix+"/phones/+15550000001/messages", strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("body %q: status %d %s", body, rec.Code, rec.Body)
		}
	})
}
