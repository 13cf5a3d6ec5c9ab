package server

import (
	"context"
	"errors"
	"net/url"

	"github.com/wamesh/wamesh/pkg/ssrf"
)

// checkProxy validates a session's proxy URL: socks5, http or https, and a
// host the SSRF policy allows, so a tenant cannot point its session's
// WhatsApp connection at internal services. The session service checks
// again when it dials. "" (no proxy) is fine.
func (s *Server) checkProxy(ctx context.Context, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return validation("proxy: not a valid URL")
	}
	switch u.Scheme {
	case "socks5", "http", "https":
	default:
		return validation("proxy: scheme must be socks5, http or https")
	}
	if u.Hostname() == "" {
		return validation("proxy: missing host")
	}
	// the policy checks http(s) URLs; only the host matters here, and the
	// credentials stay out of the error
	if err := s.opts.SSRF.ValidateURL(ctx, (&url.URL{Scheme: "http", Host: u.Host}).String()); err != nil {
		if errors.Is(err, ssrf.ErrForbidden) {
			return validation("proxy: destination is not allowed: " + err.Error())
		}
		return validation("proxy: " + err.Error())
	}
	return nil
}

// maskProxy hides the password of a proxy URL in session views:
// http://user:xxxxx@host:port. An unparsable value is not shown at all.
func maskProxy(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Redacted()
}
