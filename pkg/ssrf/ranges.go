package ssrf

import "net/netip"

// blockedRange is a prefix the policy refuses unless allowlisted, with the
// reason reported in errors.
type blockedRange struct {
	prefix  netip.Prefix
	reason  string
	private bool // lifted by Policy.AllowPrivate
}

func mustRange(cidr, reason string, private bool) blockedRange {
	return blockedRange{prefix: netip.MustParsePrefix(cidr), reason: reason, private: private}
}

// blocked lists every non-public range. Cloud metadata addresses come first
// so they are reported as such, and they stay refused under AllowPrivate:
// only an explicit allowlist entry reaches them.
var blocked = []blockedRange{
	mustRange("169.254.169.254/32", "cloud metadata", false),
	mustRange("169.254.170.2/32", "cloud metadata (ECS)", false),
	mustRange("100.100.100.200/32", "cloud metadata (Alibaba)", false),
	mustRange("fd00:ec2::254/128", "cloud metadata (AWS IPv6)", false),
	mustRange("0.0.0.0/8", "unspecified / this network", false),
	mustRange("::/128", "unspecified", false),
	mustRange("127.0.0.0/8", "loopback", true),
	mustRange("::1/128", "loopback", true),
	mustRange("10.0.0.0/8", "private", true),
	mustRange("172.16.0.0/12", "private", true),
	mustRange("192.168.0.0/16", "private", true),
	mustRange("fc00::/7", "private (unique local)", true),
	mustRange("100.64.0.0/10", "carrier-grade NAT", true),
	mustRange("169.254.0.0/16", "link-local", true),
	mustRange("fe80::/10", "link-local", true),
	mustRange("fec0::/10", "site-local (deprecated)", true),
	mustRange("224.0.0.0/4", "multicast", false),
	mustRange("ff00::/8", "multicast", false),
	mustRange("240.0.0.0/4", "reserved", false), // includes 255.255.255.255
	mustRange("192.0.0.0/24", "IETF protocol assignments", true),
	mustRange("192.0.2.0/24", "documentation", false),
	mustRange("198.51.100.0/24", "documentation", false),
	mustRange("203.0.113.0/24", "documentation", false),
	mustRange("2001:db8::/32", "documentation", false),
	mustRange("198.18.0.0/15", "benchmarking", true),
	mustRange("64:ff9b::/96", "NAT64 (may embed a private IPv4)", true),
	mustRange("64:ff9b:1::/48", "local NAT64", true),
	mustRange("100::/64", "discard", false),
	mustRange("2002::/16", "6to4 (may embed a private IPv4)", true),
	mustRange("2001::/32", "Teredo (may embed a private IPv4)", true),
}

// classify returns why addr is not public, or "" when it is a public
// address. IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d)
// IPv6 forms are judged by their IPv4 address.
func classify(addr netip.Addr) (reason string, private bool) {
	addr = canonical(addr)
	for _, r := range blocked {
		if r.prefix.Contains(addr) {
			return r.reason, r.private
		}
	}
	return "", false
}

// canonical unmaps IPv4-mapped and IPv4-compatible IPv6 addresses and drops
// the zone.
func canonical(addr netip.Addr) netip.Addr {
	addr = addr.WithZone("")
	if addr.Is4In6() {
		return addr.Unmap()
	}
	if addr.Is6() {
		b := addr.As16()
		compat := true
		for _, x := range b[:12] {
			if x != 0 {
				compat = false
				break
			}
		}
		// ::a.b.c.d (deprecated IPv4-compatible form); :: and ::1 stay IPv6.
		if compat && (b[12] != 0 || b[13] != 0) {
			return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		}
	}
	return addr
}
