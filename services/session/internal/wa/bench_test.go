package wa

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	waevents "go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/services/session/internal/devicestore"
)

// Benchmarks of the issue: connecting many sessions from a stored device
// store, and send throughput across many sessions with pacing off. Each
// compares wamesh's Manager with bare whatsmeow clients on the same devices
// in the same run. Sizes: WAMESH_BENCH_SESSIONS (default 100) and
// WAMESH_BENCH_SEND_SESSIONS (default 100).

const benchConcurrency = 16 // like the cluster's default connect limit

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func benchEnv(b *testing.B) *env {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	b.Cleanup(cancel)
	return newEnvCtx(b, ctx)
}

// pairMany pairs n sessions named <prefix>NNNN on m, each with its own phone.
func pairMany(b *testing.B, e *env, m *Manager, prefix string, n int) []string {
	b.Helper()
	list := make([]string, n)
	g, ctx := errgroup.WithContext(e.ctx)
	g.SetLimit(4)
	for i := range n {
		list[i] = fmt.Sprintf("%s%04d", prefix, i)
		g.Go(func() error {
			phone, err := e.srv.CreatePhone(fmt.Sprintf("+1%s%07d", phoneArea(prefix), i), "P")
			if err != nil {
				return err
			}
			if err := m.Start(ctx, def(list[i]), 1); err != nil {
				return err
			}
			qr, err := e.rec.waitCount(ctx, list[i], events.SessionQR, 0)
			if err != nil {
				return err
			}
			d, _ := events.DecodeData[events.SessionQRData](qr)
			if _, err := phone.ScanQR(ctx, d.Code); err != nil {
				return err
			}
			_, err = e.rec.waitCount(ctx, list[i], events.SessionConnected, 0)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatalf("pair: %v", err)
	}
	return list
}

func phoneArea(prefix string) string {
	if strings.HasPrefix(prefix, "send") {
		return "777"
	}
	return "666"
}

// rssKiB returns the resident set size of this process.
func rssKiB() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			v, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return v
		}
	}
	return 0
}

func reportFootprint(b *testing.B, start time.Time, cpu0 time.Duration, rss0 int64, g0, n int) {
	b.ReportMetric(time.Since(start).Seconds(), "s/connect-all")
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(n), "cpu-ms/session")
	b.ReportMetric(float64(rssKiB()-rss0)/float64(n), "KiB-RSS/session")
	b.ReportMetric(float64(runtime.NumGoroutine()-g0)/float64(n), "goroutines/session")
}

// BenchmarkConnectSessions: time to connect every paired session from the
// device store, and the memory each connected session costs.
func BenchmarkConnectSessions(b *testing.B) {
	n := envInt("WAMESH_BENCH_SESSIONS", 100)
	e := benchEnv(b)
	dsn := filepath.Join(b.TempDir(), "devices.db")
	m := e.manager(dsn, "pod-a")
	list := pairMany(b, e, m, "conn", n)
	_ = m.Close()

	b.Run(fmt.Sprintf("wamesh/sessions=%d", n), func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			rss0, g0 := rssKiB(), runtime.NumGoroutine()
			before := map[string]int{}
			for _, id := range list {
				before[id] = e.rec.count(id, events.SessionConnected)
			}
			b.StartTimer()
			start, cpu0 := time.Now(), cpuTime()
			m2 := e.manager(dsn, "pod-a")
			g, ctx := errgroup.WithContext(e.ctx)
			g.SetLimit(benchConcurrency)
			for _, id := range list {
				g.Go(func() error { return m2.Start(ctx, def(id), 2) })
			}
			if err := g.Wait(); err != nil {
				b.Fatalf("start: %v", err)
			}
			for _, id := range list {
				if _, err := e.rec.waitCount(e.ctx, id, events.SessionConnected, before[id]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			reportFootprint(b, start, cpu0, rss0, g0, n)
			_ = m2.Close()
			b.StartTimer()
		}
	})
	b.Run(fmt.Sprintf("bare-whatsmeow/sessions=%d", n), func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			rss0, g0 := rssKiB(), runtime.NumGoroutine()
			b.StartTimer()
			start, cpu0 := time.Now(), cpuTime()
			clients := connectBare(b, e, dsn)
			b.StopTimer()
			reportFootprint(b, start, cpu0, rss0, g0, len(clients))
			for _, c := range clients {
				c.Disconnect()
			}
			b.StartTimer()
		}
	})
}

// connectBare connects a plain whatsmeow client for every stored device.
func connectBare(b *testing.B, e *env, dsn string) []*whatsmeow.Client {
	st, err := devicestore.Open(e.ctx, dsn, e.nullLogger())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	devs, err := st.Container().GetAllDevices(e.ctx)
	if err != nil {
		b.Fatal(err)
	}
	clients := make([]*whatsmeow.Client, len(devs))
	var connected sync.WaitGroup
	g, _ := errgroup.WithContext(e.ctx)
	g.SetLimit(benchConcurrency)
	for i, dev := range devs {
		cli := whatsmeow.NewClient(dev, waLog.Noop)
		e.srv.Configure(cli)
		var once sync.Once
		connected.Add(1)
		cli.AddEventHandler(func(evt any) {
			if _, ok := evt.(*waevents.Connected); ok {
				once.Do(connected.Done)
			}
		})
		clients[i] = cli
		g.Go(cli.Connect)
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	connected.Wait()
	return clients
}

// BenchmarkSendThroughput: messages per second one process sends across many
// sessions with pacing off, through Execute (idempotency record, WhatsApp
// send, message.sent published) versus bare whatsmeow SendMessage.
func BenchmarkSendThroughput(b *testing.B) {
	n := envInt("WAMESH_BENCH_SEND_SESSIONS", 100)
	e := benchEnv(b)
	m := e.manager(filepath.Join(b.TempDir(), "devices.db"), "pod-a")
	list := pairMany(b, e, m, "send", n)
	to := make([]types.JID, n)
	for i := range n {
		p, err := e.srv.CreatePhone(fmt.Sprintf("+1888%07d", i), "R")
		if err != nil {
			b.Fatal(err)
		}
		to[i] = p.JID()
	}
	sendAll := func(b *testing.B, total int, send func(i int, id string) error) {
		g, _ := errgroup.WithContext(e.ctx)
		for i, id := range list {
			share := total / n
			if i < total%n {
				share++
			}
			g.Go(func() error {
				for range share {
					if err := send(i, id); err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	viaExecute := func(i int, id string) error {
		cmd, err := commands.NewCommand(commands.KindSendMessage, "t1", id, ids.NewMessageID(), to[i].String(),
			commands.SendMessage{Type: events.TypeText, Text: "benchmark message"})
		if err != nil {
			return err
		}
		return m.Execute(e.ctx, cmd)
	}
	bare := func(i int, id string) error {
		_, err := m.get(id).cli().SendMessage(e.ctx, to[i], &waE2E.Message{Conversation: proto.String("benchmark message")})
		return err
	}
	sendAll(b, n, viaExecute) // warm up: Signal sessions with every recipient
	b.Run(fmt.Sprintf("wamesh/sessions=%d", n), func(b *testing.B) {
		start, cpu0 := time.Now(), cpuTime()
		sendAll(b, b.N, viaExecute)
		reportThroughput(b, start, cpu0)
	})
	b.Run(fmt.Sprintf("bare-whatsmeow/sessions=%d", n), func(b *testing.B) {
		start, cpu0 := time.Now(), cpuTime()
		sendAll(b, b.N, bare)
		reportThroughput(b, start, cpu0)
	})
}

// cpuTime is the user+system CPU time this process used so far. On a shared
// machine wall-clock rates depend on the neighbours; CPU per message does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportThroughput(b *testing.B, start time.Time, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
	perMsg := (cpuTime() - cpu0) / time.Duration(b.N)
	b.ReportMetric(float64(perMsg.Microseconds()), "cpu-µs/msg")
	// What two dedicated cores would sustain at this CPU cost (emulator included).
	b.ReportMetric(2*float64(time.Second)/float64(perMsg), "msg/s-at-2-cores")
}
