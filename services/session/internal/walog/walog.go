// Package walog adapts log/slog to whatsmeow's logger interface, so
// whatsmeow's logs carry the service's attributes (session, tenant).
package walog

import (
	"context"
	"fmt"
	"log/slog"

	waLog "go.mau.fi/whatsmeow/util/log"
)

// New returns a whatsmeow logger writing to l with a "module" attribute.
func New(l *slog.Logger, module string) waLog.Logger {
	return logger{l: l.With("module", module)}
}

type logger struct{ l *slog.Logger }

func (g logger) log(level slog.Level, msg string, args []any) {
	if !g.l.Enabled(context.Background(), level) {
		return
	}
	g.l.Log(context.Background(), level, fmt.Sprintf(msg, args...))
}

func (g logger) Warnf(msg string, args ...any)  { g.log(slog.LevelWarn, msg, args) }
func (g logger) Errorf(msg string, args ...any) { g.log(slog.LevelError, msg, args) }
func (g logger) Infof(msg string, args ...any)  { g.log(slog.LevelDebug, msg, args) }
func (g logger) Debugf(msg string, args ...any) { g.log(slog.LevelDebug-4, msg, args) }

func (g logger) Sub(module string) waLog.Logger {
	return logger{l: g.l.With("sub", module)}
}
