package server

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/queries"
)

func TestParseRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		h                   string
		start, length       int64
		partial, shouldFail bool
	}{
		{"", 0, 100, false, false},
		{"bytes=0-9", 0, 10, true, false},
		{"bytes=90-", 90, 10, true, false},
		{"bytes=90-500", 90, 10, true, false},
		{"bytes=-10", 90, 10, true, false},
		{"bytes=-500", 0, 100, true, false},
		{"bytes=0-1,5-6", 0, 100, false, false},
		{"items=0-1", 0, 100, false, false},
		{"bytes=100-", 0, 0, false, true},
		{"bytes=5-1", 0, 0, false, true},
		{"bytes=-0", 0, 0, false, true},
		{"bytes=x-", 0, 0, false, true},
		{"bytes=7", 0, 0, false, true},
	}
	for _, tc := range tests {
		start, length, partial, err := parseRange(tc.h, 100)
		if (err != nil) != tc.shouldFail || start != tc.start || length != tc.length || partial != tc.partial {
			t.Errorf("parseRange(%q) = %d %d %v %v", tc.h, start, length, partial, err)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-9", "bytes=-5", "bytes=5-", "bytes=1-0", "bytes=99999999999999999999-"} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size <= 0 {
			return
		}
		start, length, partial, err := parseRange(h, size)
		if err != nil {
			return
		}
		if start < 0 || length < 0 || start+length > size || (!partial && (start != 0 || length != size)) {
			t.Fatalf("parseRange(%q, %d) = %d, %d, %v", h, size, start, length, partial)
		}
	})
}

func TestToProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{commands.ErrNoOwner, 503, "SESSION_UNAVAILABLE"},
		{&commands.Error{Code: commands.CodeTimeout}, 504, "TIMEOUT"},
		{&commands.Error{Code: commands.CodeSessionNotConnected}, 409, "SESSION_NOT_CONNECTED"},
		{&commands.Error{Code: commands.CodeNotAGroup}, 400, "NOT_A_GROUP"},
		{&commands.Error{Code: queries.CodeServiceUnavailable}, 503, "SERVICE_UNAVAILABLE"},
		{echo.ErrNotFound, 404, "NOT_FOUND"},
		{echo.ErrMethodNotAllowed, 405, "METHOD_NOT_ALLOWED"},
		{echo.ErrStatusRequestEntityTooLarge, 413, "BODY_TOO_LARGE"},
		{&http.MaxBytesError{Limit: 10}, 413, "BODY_TOO_LARGE"},
		{errors.New("boom"), 500, "INTERNAL"},
	}
	for _, tc := range tests {
		p := toProblem(tc.err)
		if p.Status != tc.status || p.Code != tc.code {
			t.Errorf("toProblem(%v) = %d %s, want %d %s", tc.err, p.Status, p.Code, tc.status, tc.code)
		}
	}
	if p := toProblem(errors.New("secret detail")); p.Detail != "internal error" {
		t.Errorf("500 leaks the error: %q", p.Detail)
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	tests := []struct{ method, path, scope string }{
		{"GET", "/v1/sessions", control.ScopeRead},
		{"POST", "/v1/sessions/s/chats/1/messages", control.ScopeSend},
		{"DELETE", "/v1/sessions/s/chats/1/messages/x", control.ScopeSend},
		{"POST", "/v1/sessions/s/media", control.ScopeSend},
		{"POST", "/v1/sessions/s/contacts/check", control.ScopeRead},
		{"POST", "/v1/sessions", control.ScopeManage},
		{"POST", "/v1/webhooks", control.ScopeManage},
		{"POST", "/v1/sessions/s/groups/g/participants", control.ScopeManage},
	}
	for _, tc := range tests {
		if got := requiredScope(tc.method, tc.path); got != tc.scope {
			t.Errorf("requiredScope(%s %s) = %s, want %s", tc.method, tc.path, got, tc.scope)
		}
	}
	tok := Principal{Tenant: "t", Session: "s", Scopes: []string{"read", "send", "manage"}}
	for path, ok := range map[string]bool{"/v1/sessions/s": true, "/v1/events": true, "/v1/webhooks": false, "/v1/sessions/s/tokens": false, "/v1/tenants": false} {
		if err := authorize(tok, "GET", path); (err == nil) != ok {
			t.Errorf("session token on %s: %v", path, err)
		}
	}
	if authorize(tok, "POST", "/v1/sessions") == nil {
		t.Error("session token may create sessions")
	}
}

func TestIdempotentMessageID(t *testing.T) {
	t.Parallel()
	a, b := idempotentMessageID("s1", "k"), idempotentMessageID("s1", "k")
	if a != b || len(a) != 22 || a[:4] != "3EB0" {
		t.Fatalf("ids %q %q", a, b)
	}
	if a == idempotentMessageID("s2", "k") || a == idempotentMessageID("s1", "k2") {
		t.Fatal("ids collide across sessions or keys")
	}
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	l := newLimiter(1, 1)
	b := l.get("t:", "x", 2)
	first, second, third := b.lim.Allow(), b.lim.Allow(), b.lim.Allow()
	if !first || !second || third {
		t.Fatal("burst of 2 not enforced")
	}
	if l.get("t:", "x", 2) != b || l.get("t:", "x", 5) == b {
		t.Fatal("bucket not reused or not rebuilt on a new rate")
	}
	if l.get("t:", "x", 0) != nil {
		t.Fatal("a rate of 0 is not off")
	}
}

// queued writes exactly what c.JSON(202, Accepted{...}) writes.
func TestQueuedMatchesJSON(t *testing.T) {
	t.Parallel()
	e := echo.New()
	for _, id := range []string{"3EB0A1B2C3D4E5F6A7B8", "cmd_2pQx9", "", `a"b\c`, "ü<>&"} {
		for _, target := range []string{"/", "/?pretty"} {
			want, got := httptest.NewRecorder(), httptest.NewRecorder()
			if err := e.NewContext(httptest.NewRequest(http.MethodPost, target, nil), want).JSON(http.StatusAccepted, Accepted{ID: id, Status: "queued"}); err != nil {
				t.Fatal(err)
			}
			if err := queued(e.NewContext(httptest.NewRequest(http.MethodPost, target, nil), got), id); err != nil {
				t.Fatal(err)
			}
			if got.Code != want.Code || got.Body.String() != want.Body.String() || got.Header().Get(echo.HeaderContentType) != want.Header().Get(echo.HeaderContentType) {
				t.Errorf("id %q %s: got %d %q %q, want %d %q %q", id, target, got.Code, got.Body, got.Header().Get(echo.HeaderContentType),
					want.Code, want.Body, want.Header().Get(echo.HeaderContentType))
			}
		}
	}
}
