package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// defaultReadHeaderTimeout is applied to servers that set none.
const defaultReadHeaderTimeout = 10 * time.Second

// Serve listens on addr and serves h until ctx is done, then shuts down
// gracefully within grace. It returns nil on a clean shutdown. An addr of ""
// or "off" disables the server: Serve just waits for ctx.
func Serve(ctx context.Context, addr string, h http.Handler, grace time.Duration, logger *slog.Logger) error {
	if addr == "" || addr == "off" {
		<-ctx.Done()
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ServeListener(ctx, ln, h, grace, logger)
}

// ServeListener is Serve on an existing listener, which it closes.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, logger *slog.Logger) error {
	return ServeServer(ctx, &http.Server{Handler: h}, ln, grace, logger)
}

// ServeServer runs srv on ln until ctx is done, then shuts it down within
// grace; connections still open after grace are closed and an error wrapping
// context.DeadlineExceeded is returned. ReadHeaderTimeout is set if zero.
func ServeServer(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	if srv.ReadHeaderTimeout == 0 {
		srv.ReadHeaderTimeout = defaultReadHeaderTimeout
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.InfoContext(ctx, "http server listening", slog.String("addr", ln.Addr().String()))

	select {
	case err := <-errc:
		return fmt.Errorf("serve http on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("shut down http server on %s: %w", ln.Addr(), err)
	}
	logger.InfoContext(ctx, "http server stopped", slog.String("addr", ln.Addr().String()))
	return nil
}
