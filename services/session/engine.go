package session

import (
	"context"
	"fmt"

	"github.com/wamesh/wamesh/pkg/httpx"
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/services/session/internal/engine"
	"github.com/wamesh/wamesh/services/session/internal/wa"
)

// newEngine builds the WhatsApp half: a wa.Manager on the device store
// (WAMESH_DATABASE_URL, else SQLite under WAMESH_DATA_DIR). It returns the
// engine, its readiness check and its close function.
func newEngine(cfg Config, base *service.Base, pod string) (engine.Sessions, httpx.Check, func(), error) {
	store := cfg.DatabaseURL
	if store == "" {
		store = cfg.DataDir
	}
	mc := wa.ManagerConfig{
		NATS: base.NC, JetStream: base.JS, PodID: pod, DeviceStore: store,
		Logger: base.Logger,
		Meter:  base.Tel.Meter(instrumentation),
		Tracer: base.Tel.Tracer(instrumentation),

		Configure:       cfg.Configure,
		MediaHTTPClient: cfg.MediaHTTPClient,
	}
	if err := cfg.WA.Apply(&mc); err != nil {
		return nil, httpx.Check{}, nil, fmt.Errorf("whatsapp engine options: %w", err)
	}
	m, err := wa.NewManager(mc)
	if err != nil {
		return nil, httpx.Check{}, nil, fmt.Errorf("start whatsapp engine: %w", err)
	}
	check := httpx.Check{Name: "devicestore", Fn: func(ctx context.Context) error { return m.Store().DB().PingContext(ctx) }}
	closeFn := func() {
		if err := m.Close(); err != nil {
			base.Logger.Warn("close whatsapp engine", "err", err)
		}
	}
	return m, check, closeFn, nil
}
