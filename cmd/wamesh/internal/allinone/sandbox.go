package allinone

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/wamesh/wamesh/pkg/waemu"
)

// startSandbox starts the built-in WhatsApp emulator, points every whatsmeow
// client of the session service at it and mounts its control API on the
// gateway under /sandbox/v1 (admin key required). The emulator's root key is
// installed process-wide: a sandbox process can never reach real WhatsApp.
func startSandbox(ctx context.Context, s *services, logger *slog.Logger) (func(), error) {
	// WithoutCancel: the emulator must outlive the services (closed by the
	// returned func after they stop), or its closing connections would race
	// the clients that are disconnecting.
	emu, err := waemu.Start(context.WithoutCancel(ctx), waemu.Options{Logger: logger.With("component", "waemu")})
	if err != nil {
		return nil, fmt.Errorf("sandbox: start emulator: %w", err)
	}
	waemu.InstallRootKey(emu.RootPublicKey())
	s.session.Configure = emu.Configure
	s.gateway.Sandbox = emu.ControlHandler()
	// Sandbox users try webhooks against a receiver on their own machine:
	// allow loopback destinations (only loopback) unless configured otherwise.
	for _, c := range []*string{&s.gateway.SSRF.AllowedCIDRs, &s.dispatcher.SSRF.AllowedCIDRs, &s.session.WA.SSRF.AllowedCIDRs} {
		if *c == "" {
			*c = "127.0.0.0/8,::1/128"
		}
	}
	logger.Warn("sandbox mode: sessions connect to the built-in WhatsApp emulator, not to WhatsApp", "emulator", emu.Addr())
	return func() {
		if err := emu.Close(); err != nil {
			logger.Warn("sandbox: close emulator", "err", err)
		}
	}, nil
}
