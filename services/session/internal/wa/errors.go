package wa

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"

	"github.com/nats-io/nats.go"
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
	// ErrProxyRefused is returned by Start when the session's proxy is
	// malformed or resolves to an address the SSRF policy refuses; the
	// session is not connected.
	ErrProxyRefused = errors.New("session proxy refused")
	// ErrTransient marks infrastructure failures (object store, NATS,
	// network, media server 5xx): Execute returns them as plain errors, so
	// the command is retried by redelivery instead of failing for good.
	ErrTransient = errors.New("temporary failure")
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
	case errors.Is(err, ErrTransient):
		return fmt.Errorf("%s: %w", op, err)
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
	case isInfrastructure(err):
		return fmt.Errorf("%s: %w: %w", op, ErrTransient, err)
	}
	return final(commands.CodeWhatsApp, op+": WhatsApp refused", err)
}

// transient marks err as a temporary infrastructure failure (retry).
func transient(what string, err error) error {
	return fmt.Errorf("%s: %w: %w", what, ErrTransient, err)
}

// isInfrastructure reports network and NATS failures that a retry may fix.
func isInfrastructure(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrConnectionReconnecting)
}

// uploadStatus finds the HTTP status in whatsmeow's upload errors
// ("upload failed with status code 503"); whatsmeow does not type them.
var uploadStatus = regexp.MustCompile(`status code (\d{3})`)

// uploadError sorts a failed cli.Upload: the media server's 5xx and 429,
// network errors and a failed media connection query are temporary; other
// statuses (4xx: WhatsApp refused the file) and encryption errors are final.
func uploadError(err error) error {
	if m := uploadStatus.FindStringSubmatch(err.Error()); m != nil {
		code, _ := strconv.Atoi(m[1])
		if code >= 500 || code == 429 {
			return transient("upload media", err)
		}
		return fmt.Errorf("upload media: %w", err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, whatsmeow.ErrNotConnected) || errors.Is(err, whatsmeow.ErrNotLoggedIn) {
		return fmt.Errorf("upload media: %w", err) // classify: retry
	}
	if isInfrastructure(err) || errors.Is(err, whatsmeow.ErrIQTimedOut) || errors.Is(err, context.DeadlineExceeded) {
		return transient("upload media", err)
	}
	return fmt.Errorf("upload media: %w", err)
}

// errBadInput marks request validation failures.
var errBadInput = errors.New("bad input")

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadInput, fmt.Sprintf(format, args...))
}
