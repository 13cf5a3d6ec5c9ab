// Command wamesh-history runs the history service alone (see cmd/wamesh for the all-in-one).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wamesh/wamesh/pkg/config"
	"github.com/wamesh/wamesh/services/history"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.Load[history.Config]()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wamesh-history: bad configuration:\n"+err.Error())
		os.Exit(2)
	}
	if err := history.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "wamesh-history:", err)
		os.Exit(1)
	}
}
