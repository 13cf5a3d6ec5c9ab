package allinone

import (
	"context"
	"errors"
	"log/slog"
)

// startSandbox starts the WhatsApp emulator and points the session service at
// it. Wired once pkg/waemu lands.
func startSandbox(_ context.Context, _ *services, _ *slog.Logger) (func(), error) {
	return nil, errors.New("--sandbox: the WhatsApp emulator is not built yet")
}
