// Package ssrf refuses outbound connections to addresses a tenant must not
// reach through wamesh: loopback, private, link-local, CGNAT, multicast,
// unspecified, reserved and cloud metadata addresses, including their
// IPv4-mapped and IPv4-compatible IPv6 forms.
//
// The check runs in net.Dialer.Control, after DNS resolution and on every
// connection (redirects, keep-alive reconnects, every A/AAAA record tried),
// so DNS rebinding cannot slip past it. ValidateURL runs the same policy at
// create time so bad URLs are refused with a clear error before any attempt.
//
// Use Policy.Transport for an http.Transport that webhook delivery and media
// download can share, or Policy.Dialer for anything else that dials.
package ssrf
