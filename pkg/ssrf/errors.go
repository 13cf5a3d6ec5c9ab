package ssrf

import "errors"

var (
	// ErrForbidden is returned when an address or URL resolves to a range
	// the policy refuses. The error text names the address and why.
	ErrForbidden = errors.New("ssrf: destination not allowed")
	// ErrBadURL is returned by ValidateURL for a URL that is not an absolute
	// http(s) URL with a host.
	ErrBadURL = errors.New("ssrf: invalid URL")
	// ErrUnresolvable is returned by ValidateURL when the host does not resolve.
	ErrUnresolvable = errors.New("ssrf: host does not resolve")
	// ErrBadAllowlist is returned by ParseAllowlist for an entry that is not
	// an IP address or CIDR prefix.
	ErrBadAllowlist = errors.New("ssrf: bad allowlist entry")
)
