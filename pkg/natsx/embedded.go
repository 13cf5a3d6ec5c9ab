package natsx

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedConfig configures the in-process NATS server of the all-in-one.
type EmbeddedConfig struct {
	DataDir string // JetStream store lives in DataDir/nats
	// Listen is the client address ("127.0.0.1:4222") so users can `nats sub`
	// against the all-in-one; "off" serves in-process connections only. When
	// the port is taken, a warning is logged and the server runs in-process only.
	Listen string
	Logger *slog.Logger
}

// Embedded is a running in-process NATS server with JetStream.
type Embedded struct {
	Server    *server.Server
	ClientURL string // "" when not listening
}

// StartEmbedded starts nats-server in-process and waits until it is ready.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	opts := &server.Options{
		ServerName: "wamesh-embedded",
		JetStream:  true,
		StoreDir:   filepath.Join(cfg.DataDir, "nats"),
		NoSigs:     true,
		NoLog:      true,
		DontListen: true,
	}
	if cfg.Listen != "" && cfg.Listen != "off" {
		host, port, err := splitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("WAMESH_NATS_LISTEN: %w", err)
		}
		if portFree(cfg.Listen) {
			opts.Host, opts.Port, opts.DontListen = host, port, false
		} else {
			logger.Warn("NATS client port is taken; embedded NATS serves in-process connections only (set WAMESH_NATS_LISTEN to another address, or off)",
				"addr", cfg.Listen)
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("embedded nats: not ready after 30s")
	}
	e := &Embedded{Server: srv}
	if !opts.DontListen {
		e.ClientURL = srv.ClientURL()
	}
	return e, nil
}

// Shutdown stops the server and waits for it.
func (e *Embedded) Shutdown() {
	e.Server.Shutdown()
	e.Server.WaitForShutdown()
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("expected host:port or off, got %q", addr)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("expected a port number in %q", addr)
	}
	return host, port, nil
}

func portFree(addr string) bool {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	ln.Close()
	return true
}
