package waemu

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types/events"
)

// BenchmarkPairAndConnect links b.N fresh clients to one emulator by QR and
// waits until each is logged in (812 prekeys uploaded). It reports the time
// per client and the live heap per connected client.
func BenchmarkPairAndConnect(b *testing.B) {
	srv := startServer(b)
	dir := b.TempDir()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	clients := make([]*testClient, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		p, err := srv.CreatePhone(fmt.Sprintf("+1666%07d", i), fmt.Sprintf("Bench %d", i))
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, pairQR(b, srv, p, filepath.Join(dir, fmt.Sprintf("c%d.db", i))))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if n := len(srv.ActiveConnections()); n != b.N {
		b.Fatalf("%d active connections, want %d", n, b.N)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/client")
	b.ReportMetric(float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc))/float64(b.N)/1024, "heapKB/client")
	b.ReportMetric(float64(b.N), "clients")
	for _, c := range clients {
		waitEvent[*events.Connected](c, time.Second, nil)
	}
}
