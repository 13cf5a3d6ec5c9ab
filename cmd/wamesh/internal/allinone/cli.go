// Package allinone is the wamesh command line: the all-in-one process and the
// single-service modes.
package allinone

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/wamesh/wamesh/pkg/config"
	"github.com/wamesh/wamesh/services/dispatcher"
	"github.com/wamesh/wamesh/services/gateway"
	"github.com/wamesh/wamesh/services/history"
	"github.com/wamesh/wamesh/services/session"
)

const usage = `usage: wamesh [--sandbox]           run everything in one process (embedded NATS + SQLite)
       wamesh gateway|session|dispatcher|history   run one service against WAMESH_NATS_URL
       wamesh version

Configuration is read from WAMESH_* environment variables (see README.md).
`

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, version string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wamesh", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	sandbox := fs.Bool("sandbox", false, "run against the built-in WhatsApp emulator (no phone needed)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	switch cmd := fs.Arg(0); cmd {
	case "":
		err = runAllInOne(ctx, version, *sandbox, stderr)
	case "version":
		fmt.Fprintln(stdout, "wamesh", version)
		return 0
	case "gateway":
		err = runOne(ctx, gateway.Run)
	case "session":
		err = runOne(ctx, session.Run)
	case "dispatcher":
		err = runOne(ctx, dispatcher.Run)
	case "history":
		err = runOne(ctx, history.Run)
	default:
		fmt.Fprintf(stderr, "wamesh: unknown command %q\n%s", cmd, usage)
		return 2
	}
	var cfgErr *configError
	switch {
	case errors.As(err, &cfgErr):
		fmt.Fprintf(stderr, "wamesh: bad configuration:\n%v\n", cfgErr.err)
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "wamesh:", err)
		return 1
	}
	return 0
}

type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

func runOne[C any](ctx context.Context, run func(context.Context, C) error) error {
	cfg, err := config.Load[C]()
	if err != nil {
		return &configError{err}
	}
	return run(ctx, cfg)
}
