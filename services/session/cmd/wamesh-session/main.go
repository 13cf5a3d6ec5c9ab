// Command wamesh-session runs the session service alone (see cmd/wamesh for the all-in-one).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wamesh/wamesh/pkg/config"
	"github.com/wamesh/wamesh/services/session"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.Load[session.Config]()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wamesh-session: bad configuration:\n"+err.Error())
		os.Exit(2)
	}
	if err := session.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "wamesh-session:", err)
		os.Exit(1)
	}
}
