package session

import (
	"context"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/services/session/internal/engine"
)

// newEngine builds the WhatsApp half. Until internal/wa lands it is
// noEngine, which owns nothing and fails commands and RPCs finally with
// SESSION_UNAVAILABLE, so the cluster half runs and can be observed.
func newEngine(_ context.Context, _ Config, _ *service.Base, _ string) (engine.Sessions, func(), error) {
	return noEngine{}, func() {}, nil
}

// noEngine is an engine.Sessions without WhatsApp.
type noEngine struct{}

var errNoEngine = commands.Errorf(commands.CodeSessionUnavailable, "this build has no WhatsApp engine")

func (noEngine) Start(context.Context, control.Session, uint64) error { return nil }
func (noEngine) Stop(context.Context, string, string)                 {}
func (noEngine) Delete(context.Context, string) error                 { return nil }
func (noEngine) Execute(context.Context, commands.Command) error      { return errNoEngine }
func (noEngine) Call(context.Context, commands.Request) (any, error)  { return nil, errNoEngine }
func (noEngine) Running() []string                                    { return nil }
