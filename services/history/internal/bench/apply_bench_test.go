package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/history/internal/ingest"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// BenchmarkApply is the database half of the consumer alone: decode
// events, build batches and write them with `writers` goroutines, no NATS.
func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, testutil.Postgres(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.Run(fmt.Sprintf("writers=%d,batch=%d", writers, batchSize), func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			b.StopTimer()
			evs := messageEvents(fmt.Sprintf("a%d", runs.Add(1)), eventsPerOp)
			b.StartTimer()
			start := time.Now()
			work := make(chan int)
			var wg sync.WaitGroup
			for range writers {
				wg.Go(func() {
					for from := range work {
						var batch store.Batch
						for _, ev := range evs[from:min(from+batchSize, len(evs))] {
							if err := ingest.AddEvent(&batch, ev, ingest.Options{}); err != nil {
								b.Error(err)
							}
						}
						if err := st.Apply(ctx, &batch); err != nil {
							b.Error(err)
						}
					}
				})
			}
			for from := 0; from < len(evs); from += batchSize {
				work <- from
			}
			close(work)
			wg.Wait()
			total += time.Since(start)
		}
		b.ReportMetric(float64(b.N*eventsPerOp)/total.Seconds(), "events/s")
	})
}
