package wa

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/ssrf"
	"github.com/wamesh/wamesh/pkg/testutil"
)

func TestPageSummary(t *testing.T) {
	t.Parallel()
	tests := []struct{ page, title, desc string }{
		{`<html><head><title> Plain &amp; simple </title><meta name="description" content="About it"></head>`, "Plain & simple", "About it"},
		{`<meta property="og:title" content='OG title'><title>ignored</title><meta content="OG desc" property="og:description">`, "OG title", "OG desc"},
		{`no html at all`, "", ""},
	}
	for _, tt := range tests {
		if title, desc := pageSummary(tt.page); title != tt.title || desc != tt.desc {
			t.Errorf("pageSummary(%q) = %q, %q; want %q, %q", tt.page, title, desc, tt.title, tt.desc)
		}
	}
}

// A text with linkPreview carries the page's title to the recipient.
func TestLinkPreview(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000141", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000142", "Bob")
	m := e.manager("", "pod-a")
	m.fetch = &http.Client{Transport: ssrf.Policy{AllowPrivate: true}.Transport(ssrf.TransportOptions{})}
	pair(t, e, m, "s1", owner, 1)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><title>Example page</title></head></html>`)
	}))
	defer site.Close()

	cmd, _ := commands.NewCommand(commands.KindSendMessage, "t1", "s1", ids.NewMessageID(), bob.JID().String(),
		commands.SendMessage{Type: events.TypeText, Text: "see " + site.URL + "/a", LinkPreview: true})
	if err := m.Execute(e.ctx, cmd); err != nil {
		t.Fatalf("send: %v", err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		for _, x := range bob.Messages() {
			if x.ID == cmd.MessageID {
				ext := x.Raw.GetExtendedTextMessage()
				return ext.GetMatchedText() == site.URL+"/a" && ext.GetTitle() == "Example page"
			}
		}
		return false
	}, "bob receives the preview")
}
