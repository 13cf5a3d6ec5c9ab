package natsx

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Config is how a service reaches NATS and sizes the resources it provisions.
type Config struct {
	URL          string        `env:"WAMESH_NATS_URL" envDefault:"nats://127.0.0.1:4222"` // server URL(s), comma-separated
	Replicas     int           `env:"WAMESH_NATS_REPLICAS" envDefault:"1"`                // stream/KV replicas: 1 embedded, 3 clustered
	EventsMaxAge time.Duration `env:"WAMESH_EVENTS_MAX_AGE" envDefault:"168h"`            // how long WAMESH_EVENTS keeps events
	DedupWindow  time.Duration `env:"WAMESH_DEDUP_WINDOW" envDefault:"2m"`                // JetStream duplicate window (Nats-Msg-Id)
	MemberTTL    time.Duration `env:"WAMESH_MEMBER_TTL" envDefault:"15s"`                 // membership heartbeat TTL
	LeaseTTL     time.Duration `env:"WAMESH_LEASE_TTL" envDefault:"15s"`                  // shard lease TTL
	MediaTTL     time.Duration `env:"WAMESH_MEDIA_TTL" envDefault:"720h"`                 // how long stored media is kept; 0 = forever
	MediaMaxSize int64         `env:"WAMESH_MEDIA_STORE_MAX_BYTES" envDefault:"-1"`       // cap of the media object store; -1 (or 0) = unlimited

	// InProcess, when set, connects through this in-process server instead of
	// URL (the all-in-one). It is never read from the environment.
	InProcess nats.InProcessConnProvider
}

// Validate checks the values Load cannot.
func (c *Config) Validate() error {
	var errs []error
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("WAMESH_NATS_REPLICAS: expected 1 to 5, got %d", c.Replicas))
	}
	if c.EventsMaxAge < time.Minute {
		errs = append(errs, fmt.Errorf("WAMESH_EVENTS_MAX_AGE: expected at least 1m, got %s", c.EventsMaxAge))
	}
	if c.DedupWindow <= 0 || c.DedupWindow > c.EventsMaxAge {
		errs = append(errs, fmt.Errorf("WAMESH_DEDUP_WINDOW: expected a positive duration below WAMESH_EVENTS_MAX_AGE, got %s", c.DedupWindow))
	}
	if c.MemberTTL < time.Second {
		errs = append(errs, fmt.Errorf("WAMESH_MEMBER_TTL: expected at least 1s, got %s", c.MemberTTL))
	}
	if c.MediaTTL < 0 {
		errs = append(errs, fmt.Errorf("WAMESH_MEDIA_TTL: expected 0 (forever) or a positive duration, got %s", c.MediaTTL))
	}
	if c.MediaMaxSize < -1 {
		errs = append(errs, fmt.Errorf("WAMESH_MEDIA_STORE_MAX_BYTES: expected -1 or 0 (unlimited) or a positive size, got %d", c.MediaMaxSize))
	}
	if c.LeaseTTL < time.Second {
		errs = append(errs, fmt.Errorf("WAMESH_LEASE_TTL: expected at least 1s, got %s", c.LeaseTTL))
	}
	return errors.Join(errs...)
}
