package httpx_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/httpx"
)

func TestServeListenerShutsDownOnCancel(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpx.ServeListener(ctx, ln, httpx.OpsHandler(nil), 5*time.Second, logger) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /healthz = %d", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ServeListener: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeListener did not return after cancel")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("listener still accepting after shutdown")
	}
}

func TestServeOffWaitsForContext(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"", "off"} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := httpx.Serve(ctx, addr, http.NotFoundHandler(), time.Second, nil); err != nil {
			t.Errorf("Serve(%q) = %v, want nil", addr, err)
		}
	}
}

func TestServeReportsListenError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = httpx.Serve(context.Background(), ln.Addr().String(), http.NotFoundHandler(), time.Second, nil)
	if err == nil {
		t.Fatal("Serve on a busy port: want error")
	}
}
