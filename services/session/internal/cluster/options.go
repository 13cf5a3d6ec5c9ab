package cluster

import (
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Options configure a Cluster. Zero durations and sizes take the defaults
// documented on each field.
type Options struct {
	PodID  string // unique id of this pod (a valid id: [A-Za-z0-9_-]{1,64})
	Shards int    // number of shards, fixed for the cluster's life (1..1024)

	MemberTTL time.Duration // TTL of the wamesh_members bucket; heartbeat every MemberTTL/3
	LeaseTTL  time.Duration // TTL of the wamesh_leases bucket; renew every LeaseTTL/3

	ConnectConcurrency int           // sessions starting at once across all shards (default 8)
	ConnectJitter      time.Duration // random delay before each start (default 250ms)
	ConnectBackoff     time.Duration // first retry delay of a failed start, doubling to 30s (default 1s)

	AckWait       time.Duration // consumer AckWait; kept alive with InProgress (default 60s)
	MaxAge        time.Duration // a command not executed this long after it was accepted fails with message.failed TIMEOUT (default 24h)
	MaxAckPending int           // consumer MaxAckPending per shard = per-session queue size (default 256)
	RetryDelay    time.Duration // first NakWithDelay of a failed command, doubling per delivery to 1m (default 1s)
	DrainTimeout  time.Duration // graceful stop waits this long for running commands (default 2s)
	MaxRPCs       int           // RPCs served at once by this pod; more get RATE_LIMITED (default 512)

	Logger *slog.Logger // nil = slog.Default()
	Meter  metric.Meter // nil = no metrics
	Tracer trace.Tracer // nil = no spans
	Hooks  Hooks        // test hooks
}

// Hooks let tests observe and break the cluster. Production leaves them zero.
type Hooks struct {
	// Acked is called after a command was acknowledged to JetStream (the
	// server confirmed the ack), with the pod id and command id.
	Acked func(pod, commandID string)
	// Crash, when true at shutdown, simulates a process death: sessions are
	// stopped (the process would close its sockets) but leases are not
	// released and the membership key is not deleted, so other pods take
	// over only after the TTLs.
	Crash func() bool
}

func (o *Options) withDefaults() (Options, error) {
	c := *o
	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	setInt := func(i *int, def int) {
		if *i <= 0 {
			*i = def
		}
	}
	setDur(&c.MemberTTL, 15*time.Second)
	setDur(&c.LeaseTTL, 15*time.Second)
	setDur(&c.ConnectJitter, 250*time.Millisecond)
	setDur(&c.ConnectBackoff, time.Second)
	setDur(&c.AckWait, 60*time.Second)
	setDur(&c.RetryDelay, time.Second)
	setDur(&c.DrainTimeout, 2*time.Second)
	setInt(&c.ConnectConcurrency, 8)
	setDur(&c.MaxAge, 24*time.Hour)
	setInt(&c.MaxAckPending, 256)
	setInt(&c.MaxRPCs, 512)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.PodID == "" {
		return c, fmt.Errorf("%w: empty pod id", ErrBadOptions)
	}
	if c.Shards < 1 || c.Shards > 1024 {
		return c, fmt.Errorf("%w: shards: expected 1 to 1024, got %d", ErrBadOptions, c.Shards)
	}
	if c.MemberTTL < time.Second || c.LeaseTTL < time.Second {
		return c, fmt.Errorf("%w: member and lease TTL must be at least 1s", ErrBadOptions)
	}
	return c, nil
}
