package service

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wamesh/wamesh/pkg/config"
)

// Main is the whole main function of a standalone service binary: it loads
// the configuration from the environment (exit 2 on a bad value), runs the
// service until SIGINT or SIGTERM and exits 1 if it failed.
func Main[C any](name string, run func(context.Context, C) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cfg, err := config.Load[C]()
	if err != nil {
		stop()
		fmt.Fprintln(os.Stderr, name+": bad configuration:\n"+err.Error())
		os.Exit(2)
	}
	err = run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
