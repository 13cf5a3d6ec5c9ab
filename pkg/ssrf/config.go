package ssrf

import "fmt"

// Config is the policy as services read it from the environment; embed it in
// a service Config so every service honours the same variables.
type Config struct {
	AllowPrivate bool   `env:"WAMESH_ALLOW_PRIVATE_URLS" envDefault:"false"` // allow loopback/private/link-local/CGNAT destinations
	AllowedCIDRs string `env:"WAMESH_ALLOWED_CIDRS" envDefault:""`           // always-allowed IPs/CIDRs, comma-separated (e.g. 127.0.0.1/32)
}

// Validate checks the allowlist syntax.
func (c Config) Validate() error {
	if _, err := ParseAllowlist(c.AllowedCIDRs); err != nil {
		return fmt.Errorf("WAMESH_ALLOWED_CIDRS: %w", err)
	}
	return nil
}

// Policy builds the Policy the configuration describes.
func (c Config) Policy() (Policy, error) {
	allow, err := ParseAllowlist(c.AllowedCIDRs)
	if err != nil {
		return Policy{}, fmt.Errorf("WAMESH_ALLOWED_CIDRS: %w", err)
	}
	return Policy{AllowPrivate: c.AllowPrivate, Allow: allow}, nil
}
