package wa

import (
	"context"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"
)

// Link previews are fetched through the SSRF-guarded client, bounded in
// time and size; a page that cannot be fetched just gets no title.
const (
	previewTimeout  = 3 * time.Second
	previewMaxBytes = 256 << 10
)

var (
	titleTag  = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	metaTag   = regexp.MustCompile(`(?is)<meta\s[^>]*>`)
	attrValue = regexp.MustCompile(`(?is)\b(property|name|content)\s*=\s*("([^"]*)"|'([^']*)')`)
)

// addLinkPreview fills title and description of a text message's matched link.
func (s *session) addLinkPreview(ctx context.Context, msg *waE2E.Message) {
	ext := msg.GetExtendedTextMessage()
	link := ext.GetMatchedText()
	if link == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, previewTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return
	}
	resp, err := s.m.fetch.Do(req)
	if err != nil {
		s.log.Debug("link preview not fetched", "err", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "html") {
		return
	}
	page, _ := io.ReadAll(io.LimitReader(resp.Body, previewMaxBytes))
	title, desc := pageSummary(string(page))
	if title != "" {
		ext.Title = proto.String(title)
	}
	if desc != "" {
		ext.Description = proto.String(desc)
	}
}

// pageSummary extracts og:title (or <title>) and og:description (or description).
func pageSummary(page string) (title, desc string) {
	meta := map[string]string{}
	for _, tag := range metaTag.FindAllString(page, 64) {
		var key, val string
		for _, a := range attrValue.FindAllStringSubmatch(tag, -1) {
			v := a[3] + a[4]
			if strings.EqualFold(a[1], "content") {
				val = v
			} else {
				key = strings.ToLower(v)
			}
		}
		if key != "" && meta[key] == "" {
			meta[key] = html.UnescapeString(strings.TrimSpace(val))
		}
	}
	title = meta["og:title"]
	if title == "" {
		if m := titleTag.FindStringSubmatch(page); m != nil {
			title = html.UnescapeString(strings.TrimSpace(m[1]))
		}
	}
	desc = meta["og:description"]
	if desc == "" {
		desc = meta["description"]
	}
	return title, desc
}
