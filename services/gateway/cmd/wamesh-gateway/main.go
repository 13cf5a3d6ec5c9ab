// Command wamesh-gateway runs the gateway service alone (see cmd/wamesh for the all-in-one).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wamesh/wamesh/pkg/config"
	"github.com/wamesh/wamesh/services/gateway"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.Load[gateway.Config]()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wamesh-gateway: bad configuration:\n"+err.Error())
		os.Exit(2)
	}
	if err := gateway.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "wamesh-gateway:", err)
		os.Exit(1)
	}
}
