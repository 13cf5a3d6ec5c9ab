package wa

import (
	"context"
	"errors"
	"fmt"

	"go.mau.fi/whatsmeow"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/services/session/internal/msgconv"
)

var (
	// ErrFenced is returned by state writes when the stored state carries a
	// newer fencing epoch: another pod owns the session now.
	ErrFenced = errors.New("session state owned by a newer epoch")
	// ErrNotRunning is returned when a session has no client on this pod.
	ErrNotRunning = errors.New("session not running on this pod")
	// ErrNotConnected is returned (as "retry later") when a paired session is
	// temporarily offline.
	ErrNotConnected = errors.New("session not connected")
	// ErrPacing is returned (as "retry later") when the context ended while
	// a command waited for its session's send pacing.
	ErrPacing = errors.New("waiting for send pacing")
)

// final builds a final command/RPC error.
func final(code commands.Code, msg string, cause error) *commands.Error {
	e := &commands.Error{Code: code, Message: msg}
	if cause != nil {
		e.Detail = cause.Error()
	}
	return e
}

// classify turns an error of a WhatsApp call into a final *commands.Error,
// or returns it unchanged when a retry may succeed (offline, shutdown).
func classify(op string, err error) error {
	var ce *commands.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return ce
	case errors.Is(err, whatsmeow.ErrNotConnected), errors.Is(err, whatsmeow.ErrNotLoggedIn),
		errors.Is(err, ErrNotConnected), errors.Is(err, ErrPacing), errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", op, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, whatsmeow.ErrIQTimedOut):
		return final(commands.CodeTimeout, op+": WhatsApp did not answer in time", err)
	case errors.Is(err, msgconv.ErrInvalid), errors.Is(err, errBadInput):
		return final(commands.CodeValidation, op+": invalid request", err)
	case errors.Is(err, whatsmeow.ErrGroupNotFound), errors.Is(err, whatsmeow.ErrInviteLinkInvalid),
		errors.Is(err, whatsmeow.ErrNotInGroup):
		return final(commands.CodeNotFound, op+": not found", err)
	}
	return final(commands.CodeWhatsApp, op+": WhatsApp refused", err)
}

// errBadInput marks request validation failures.
var errBadInput = errors.New("bad input")

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadInput, fmt.Sprintf(format, args...))
}
