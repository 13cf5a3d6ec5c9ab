// Package session owns the whatsmeow connections of the sessions whose shards this pod leases, executes their commands and RPCs and publishes their events.
package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"

	"github.com/wamesh/wamesh/pkg/httpx"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/pkg/telemetry"
	"github.com/wamesh/wamesh/services/session/internal/cluster"
	"github.com/wamesh/wamesh/services/session/internal/wa"
)

// Config of the session service, read from WAMESH_* variables.
type Config struct {
	NATS      natsx.Config
	Telemetry telemetry.Config
	OpsAddr   string `env:"WAMESH_SESSION_ADDR" envDefault:":8081"` // /healthz, /readyz, /metrics; "off" to disable

	DataDir     string `env:"WAMESH_DATA_DIR" envDefault:"./data"` // SQLite files live here when DatabaseURL is empty
	DatabaseURL string `env:"WAMESH_DATABASE_URL"`                 // postgres://...; empty = SQLite under DataDir

	Shards             int           `env:"WAMESH_SHARDS" envDefault:"64"`                   // shard count, fixed for the cluster's life (1..1024)
	PodID              string        `env:"WAMESH_POD_ID"`                                   // unique pod id; empty = hostname + random suffix
	ConnectConcurrency int           `env:"WAMESH_CONNECT_CONCURRENCY" envDefault:"8"`       // sessions connecting at once (startup, takeover)
	ConnectJitter      time.Duration `env:"WAMESH_CONNECT_JITTER" envDefault:"250ms"`        // random delay before each connect
	ConnectBackoff     time.Duration `env:"WAMESH_CONNECT_BACKOFF" envDefault:"1s"`          // first retry delay of a failed start (doubles to 30s)
	CommandAckWait     time.Duration `env:"WAMESH_COMMAND_ACK_WAIT" envDefault:"60s"`        // command consumer AckWait (kept alive while working)
	CommandMaxAge      time.Duration `env:"WAMESH_COMMAND_MAX_AGE" envDefault:"24h"`         // a command not executed this long after acceptance fails (message.failed TIMEOUT)
	CommandMaxPending  int           `env:"WAMESH_COMMAND_MAX_ACK_PENDING" envDefault:"256"` // unacked commands per shard

	// WA configures the WhatsApp half (SSRF, media, command memory, default pacing).
	WA wa.Options

	// Shared is set by the all-in-one; zero when standalone.
	Shared service.Shared
	// Configure, when set (the all-in-one's --sandbox, tests), is applied to
	// every whatsmeow client before it connects, e.g. waemu's Configure.
	// Never read from the environment.
	Configure func(*whatsmeow.Client)
	// MediaHTTPClient, when set, fetches outgoing media given by URL
	// (sandbox); nil = an SSRF-guarded client.
	MediaHTTPClient *http.Client
}

// instrumentation names the tracer and meter of this service.
const instrumentation = "github.com/wamesh/wamesh/services/session"

// Validate checks what env parsing cannot.
func (c *Config) Validate() error {
	errs := []error{c.NATS.Validate(), c.WA.Validate()}
	if c.Shards < 1 || c.Shards > 1024 {
		errs = append(errs, fmt.Errorf("WAMESH_SHARDS: expected 1 to 1024, got %d", c.Shards))
	}
	if c.PodID != "" && !ids.Valid(c.PodID) {
		errs = append(errs, fmt.Errorf("WAMESH_POD_ID: expected [A-Za-z0-9_-]{1,64}, got %q", c.PodID))
	}
	if c.ConnectConcurrency < 1 {
		errs = append(errs, fmt.Errorf("WAMESH_CONNECT_CONCURRENCY: expected at least 1, got %d", c.ConnectConcurrency))
	}
	if c.ConnectJitter < 0 || c.ConnectBackoff <= 0 {
		errs = append(errs, errors.New("WAMESH_CONNECT_JITTER and WAMESH_CONNECT_BACKOFF: expected positive durations"))
	}
	if c.CommandAckWait < time.Second || c.CommandMaxAge < time.Second || c.CommandMaxPending < 1 {
		errs = append(errs, errors.New("WAMESH_COMMAND_ACK_WAIT, WAMESH_COMMAND_MAX_AGE (>= 1s) and WAMESH_COMMAND_MAX_ACK_PENDING (>= 1): out of range"))
	}
	return errors.Join(errs...)
}

// Run runs the session service until ctx ends, then leaves the cluster
// gracefully (sessions stopped, leases released) before closing NATS.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	base, err := service.Start(ctx, "session", cfg.NATS, cfg.Telemetry, cfg.Shared)
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	defer base.Close()
	pod := cfg.PodID
	if pod == "" {
		pod = defaultPodID()
	}
	sessions, storeCheck, closeEngine, err := newEngine(cfg, base, pod)
	if err != nil {
		return err
	}
	defer closeEngine()
	cl, err := cluster.New(base.NC, base.JS, sessions, clusterOptions(cfg, base, pod))
	if err != nil {
		return err
	}
	base.Logger.Info("session started", "pod", pod, "shards", cfg.Shards, "ops", cfg.OpsAddr)
	// Either half failing ends the other: a pod that cannot own shards must
	// not look alive, and one without ops endpoints must not own shards.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	var clusterErr, opsErr error
	wg.Go(func() { defer stop(); clusterErr = cl.Run(runCtx) })
	wg.Go(func() { defer stop(); opsErr = base.ServeOps(runCtx, cfg.OpsAddr, storeCheck, assignmentCheck(cl)) })
	wg.Wait()
	return errors.Join(clusterErr, opsErr)
}

func clusterOptions(cfg Config, base *service.Base, pod string) cluster.Options {
	return cluster.Options{
		PodID: pod, Shards: cfg.Shards,
		MemberTTL: cfg.NATS.MemberTTL, LeaseTTL: cfg.NATS.LeaseTTL,
		ConnectConcurrency: cfg.ConnectConcurrency, ConnectJitter: cfg.ConnectJitter, ConnectBackoff: cfg.ConnectBackoff,
		AckWait: cfg.CommandAckWait, MaxAge: cfg.CommandMaxAge, MaxAckPending: cfg.CommandMaxPending,
		Logger: base.Logger,
		Meter:  base.Tel.Meter(instrumentation),
		Tracer: base.Tel.Tracer(instrumentation),
	}
}

// assignmentCheck is the /readyz check "this pod holds every shard it should".
func assignmentCheck(cl *cluster.Cluster) httpx.Check {
	return httpx.Check{Name: "shards", Fn: func(context.Context) error {
		if !cl.Ready() {
			return errors.New("first shard assignment not complete")
		}
		return nil
	}}
}

// defaultPodID is the hostname plus a random suffix, cut to a valid id.
func defaultPodID() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if ids.Valid(string(r)) {
			return r
		}
		return '-'
	}, host)
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	if host == "" {
		host = "session"
	}
	return host[:min(len(host), ids.MaxLen-len(suffix)-1)] + "-" + suffix
}
