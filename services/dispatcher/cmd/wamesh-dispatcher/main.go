// Command wamesh-dispatcher runs the dispatcher service alone (see cmd/wamesh for the all-in-one).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wamesh/wamesh/pkg/config"
	"github.com/wamesh/wamesh/services/dispatcher"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.Load[dispatcher.Config]()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wamesh-dispatcher: bad configuration:\n"+err.Error())
		os.Exit(2)
	}
	if err := dispatcher.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "wamesh-dispatcher:", err)
		os.Exit(1)
	}
}
