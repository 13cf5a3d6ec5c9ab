package testutil

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// contextTimeout bounds a test's Context when the test has no sooner deadline.
const contextTimeout = 2 * time.Minute

// Context returns a context cancelled when the test finishes (before its
// cleanups run) or after an overall timeout, whichever comes first.
func Context(t testing.TB) context.Context {
	t.Helper()
	deadline := time.Now().Add(contextTimeout)
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if td, ok := d.Deadline(); ok && td.Before(deadline) {
			deadline = td
		}
	}
	ctx, cancel := context.WithDeadline(t.Context(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// FreePort returns a TCP port on 127.0.0.1 that was free when asked. It is
// drawn at random below the kernel's ephemeral range (32768+ on Linux), so
// the outgoing connections of tests running in parallel cannot take it
// between this call and the caller's listen, as happens with port 0.
func FreePort(t testing.TB) int {
	t.Helper()
	const lo, hi = 20000, 32000
	for range 200 {
		port := lo + rand.IntN(hi-lo)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		return port
	}
	t.Fatalf("testutil: no free port in %d-%d", lo, hi)
	return 0
}

// FreeAddr returns "127.0.0.1:<port>" for a free port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", FreePort(t))
}

// Eventually polls cond, every 10ms backing off to 100ms, until it returns
// true; after timeout it fails the test with msgAndArgs (a format string and
// its arguments).
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msgAndArgs ...any) {
	t.Helper()
	if !poll(timeout, cond) {
		t.Fatalf("testutil: condition not met within %s: %s", timeout, message(msgAndArgs))
	}
}

// EventuallyNoError polls cond like Eventually until it returns nil; after
// timeout it fails the test with the last error.
func EventuallyNoError(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	var last error
	if !poll(timeout, func() bool { last = cond(); return last == nil }) {
		t.Fatalf("testutil: still failing after %s: %v", timeout, last)
	}
}

// poll calls cond until it returns true or timeout passes; it always calls
// cond at least once and once more at the deadline.
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	interval := 10 * time.Millisecond
	for {
		if cond() {
			return true
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return false
		}
		time.Sleep(min(interval, remaining))
		interval = min(interval*2, 100*time.Millisecond)
	}
}

// message formats Eventually's optional message.
func message(msgAndArgs []any) string {
	switch {
	case len(msgAndArgs) == 0:
		return "(no message)"
	case len(msgAndArgs) == 1:
		return fmt.Sprint(msgAndArgs[0])
	}
	if format, ok := msgAndArgs[0].(string); ok {
		return fmt.Sprintf(format, msgAndArgs[1:]...)
	}
	return fmt.Sprint(msgAndArgs...)
}
