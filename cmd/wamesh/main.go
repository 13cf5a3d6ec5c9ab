// Command wamesh runs wamesh: with no arguments the all-in-one (embedded NATS,
// SQLite, all four services in one process); `wamesh gateway|session|
// dispatcher|history` runs one service against WAMESH_NATS_URL.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/wamesh/wamesh/cmd/wamesh/internal/allinone"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := allinone.Main(ctx, version, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
