package allinone

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/wamesh/wamesh/pkg/config"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/pkg/telemetry"
	"github.com/wamesh/wamesh/services/dispatcher"
	"github.com/wamesh/wamesh/services/gateway"
	"github.com/wamesh/wamesh/services/history"
	"github.com/wamesh/wamesh/services/session"
)

// Config is what the all-in-one reads beyond the services' own settings.
type Config struct {
	DataDir    string `env:"WAMESH_DATA_DIR" envDefault:"./data"`            // NATS store, SQLite files, generated admin key
	NATSListen string `env:"WAMESH_NATS_LISTEN" envDefault:"127.0.0.1:4222"` // embedded NATS client address, or off
	Telemetry  telemetry.Config
}

// services holds the four services' configurations.
type services struct {
	gateway    gateway.Config
	session    session.Config
	dispatcher dispatcher.Config
	history    history.Config
}

func loadAll() (Config, services, error) {
	var (
		cfg  Config
		s    services
		errs []error
	)
	for _, dst := range []any{&cfg, &s.gateway, &s.session, &s.dispatcher, &s.history} {
		if err := config.LoadInto(dst); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, s, &configError{dedupLines(err)}
	}
	return cfg, s, nil
}

func runAllInOne(ctx context.Context, version string, sandbox bool, out io.Writer) error {
	cfg, svcs, err := loadAll()
	if err != nil {
		return err
	}
	cfg.Telemetry.Version = version
	root := telemetry.NewLogger(cfg.Telemetry) // no service attribute: each service adds its own
	logger := root.With("service", "wamesh")
	cfg.Telemetry.Service = "wamesh"
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("WAMESH_DATA_DIR: create %s: %w", cfg.DataDir, err)
	}
	adminKey, generated, err := adminKey(svcs.gateway.AdminKey, cfg.DataDir)
	if err != nil {
		return err
	}
	svcs.gateway.AdminKey = adminKey

	ns, err := natsx.StartEmbedded(natsx.EmbeddedConfig{DataDir: cfg.DataDir, Listen: cfg.NATSListen, Logger: logger})
	if err != nil {
		return err
	}
	defer ns.Shutdown()

	tel, err := telemetry.Setup(ctx, cfg.Telemetry)
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	defer shutdownTelemetry(tel, logger)

	shared := service.Shared{Logger: root, Telemetry: tel}
	for _, nc := range []*natsx.Config{&svcs.gateway.NATS, &svcs.session.NATS, &svcs.dispatcher.NATS, &svcs.history.NATS} {
		nc.InProcess = ns.Server
	}
	svcs.gateway.Shared, svcs.session.Shared, svcs.dispatcher.Shared, svcs.history.Shared = shared, shared, shared, shared
	// A fixed pod id lets a restarted all-in-one reclaim its own shard leases
	// at once instead of waiting out the lease TTL after a crash.
	if svcs.session.PodID == "" {
		svcs.session.PodID = "allinone"
	}
	// One port for everything: the gateway serves the ops endpoints.
	svcs.session.OpsAddr, svcs.dispatcher.OpsAddr, svcs.history.OpsAddr = "off", "off", "off"

	if sandbox {
		stopSandbox, err := startSandbox(ctx, &svcs, logger)
		if err != nil {
			return err
		}
		defer stopSandbox()
	}

	printBanner(out, svcs.gateway.HTTPAddr, ns.ClientURL, adminKey, generated, sandbox, cfg.DataDir)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return named("history", history.Run(gctx, svcs.history)) })
	g.Go(func() error { return named("dispatcher", dispatcher.Run(gctx, svcs.dispatcher)) })
	g.Go(func() error { return named("session", session.Run(gctx, svcs.session)) })
	g.Go(func() error { return named("gateway", gateway.Run(gctx, svcs.gateway)) })
	err = g.Wait()
	logger.Info("wamesh stopped", "err", err)
	return err
}

func named(svc string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", svc, err)
	}
	return nil
}

func shutdownTelemetry(tel *telemetry.Telemetry, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), service.ShutdownGrace)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		logger.Warn("telemetry shutdown", "err", err)
	}
}

// adminKey returns the configured admin key, or the one stored in the data
// dir, or generates and stores a new one (generated = true: print it once).
func adminKey(configured, dataDir string) (key string, generated bool, err error) {
	if configured != "" {
		return configured, false, nil
	}
	path := filepath.Join(dataDir, "admin.key")
	b, err := os.ReadFile(path)
	switch {
	case err == nil && len(strings.TrimSpace(string(b))) > 0:
		return strings.TrimSpace(string(b)), false, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("read admin key %s: %w", path, err)
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", false, fmt.Errorf("generate admin key: %w", err)
	}
	key = "wam_admin_" + base64.RawURLEncoding.EncodeToString(raw[:])
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("store admin key %s: %w", path, err)
	}
	return key, true, nil
}

// dedupLines removes repeated lines: the services share variables such as
// WAMESH_NATS_URL, so one bad value would otherwise be reported four times.
func dedupLines(err error) error {
	seen := map[string]bool{}
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if !seen[l] {
			seen[l] = true
			lines = append(lines, l)
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}
