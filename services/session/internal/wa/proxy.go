package wa

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.mau.fi/whatsmeow"
	"golang.org/x/net/proxy"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
)

// proxyDialTimeout bounds one dial of a session's proxy.
const proxyDialTimeout = 30 * time.Second

// checkProxy validates a session's proxy URL against the Manager's SSRF
// policy: socks5, http or https, and a host whose every address the policy
// allows. The gateway checks at create/PATCH; this re-check covers records
// written before it did, and DNS that changed since. Errors wrap
// ErrProxyRefused and never quote the URL (it may carry credentials).
func (m *Manager) checkProxy(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: not a valid URL", ErrProxyRefused)
	}
	switch u.Scheme {
	case "socks5", "http", "https":
	default:
		return fmt.Errorf("%w: scheme must be socks5, http or https", ErrProxyRefused)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%w: missing host", ErrProxyRefused)
	}
	if err := m.cfg.SSRF.ValidateURL(ctx, (&url.URL{Scheme: "http", Host: u.Host}).String()); err != nil {
		return fmt.Errorf("%w: %w", ErrProxyRefused, err)
	}
	return nil
}

// applyProxy checks the session's proxy and routes the client's websocket
// and media traffic through it, with a dialer that enforces the SSRF policy
// again on every connection (DNS may change after the check). A refused
// proxy is reported (state error + session.disconnected) and nothing is
// dialled.
func (s *session) applyProxy(ctx context.Context, cli *whatsmeow.Client, raw string) error {
	if raw == "" {
		return nil
	}
	if err := s.m.checkProxy(ctx, raw); err != nil {
		s.log.Warn("session proxy refused; not connecting", "err", err)
		// Deterministic id: the cluster retries a failed Start with backoff,
		// and the same refusal is one event, not one per attempt.
		if perr := s.publish(context.WithoutCancel(ctx), events.SessionDisconnected, "", events.DeriveID(s.id, "proxy refused", raw),
			events.SessionDisconnectedData{Reason: "proxy refused"}); perr != nil {
			s.log.Warn("publish proxy refusal", "err", perr)
		}
		_ = s.setState(context.WithoutCancel(ctx), func(st *control.SessionState) {
			st.Status, st.Error = control.StatusDisconnected, err.Error()
		})
		return err
	}
	u, _ := url.Parse(raw) // checked above
	dialer := s.m.cfg.SSRF.Dialer(proxyDialTimeout)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = dialer.DialContext
	if u.Scheme == "socks5" {
		px, err := proxy.FromURL(u, dialer)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrProxyRefused, err)
		}
		cd, ok := px.(proxy.ContextDialer)
		if !ok {
			return fmt.Errorf("%w: socks5 dialer without context support", ErrProxyRefused)
		}
		transport.DialContext = cd.DialContext
	} else {
		transport.Proxy = http.ProxyURL(u)
	}
	hc := &http.Client{Transport: transport}
	cli.SetWebsocketHTTPClient(hc)
	cli.SetPreLoginHTTPClient(hc)
	cli.SetMediaHTTPClient(&http.Client{Transport: transport, Timeout: 2 * time.Minute})
	return nil
}
