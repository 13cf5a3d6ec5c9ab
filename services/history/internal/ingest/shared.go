package ingest

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/services/history/internal/store"
)

// sharedWork is a committed batch waiting for its shared rows (chats and
// contacts, store.Batch.TakeShared): its events are acked once they are
// committed too.
type sharedWork struct {
	rows *store.Batch
	msgs []jetstream.Msg
}

// sharedWriter writes the shared rows of the concurrent writers' batches
// in one goroutine, merging what queued up while it wrote into one
// transaction. With several writers every batch of a busy chat updates the
// same chats row, and writing it in the batch's own transaction makes the
// writers wait for each other's commits; here nothing else holds the rows.
type sharedWriter struct {
	c    *Consumer
	in   chan sharedWork
	done chan struct{}
}

func (c *Consumer) startShared(ctx context.Context) *sharedWriter {
	w := &sharedWriter{c: c, in: make(chan sharedWork, c.Writers), done: make(chan struct{})}
	go w.run(ctx)
	return w
}

// send hands over a committed batch; it blocks while the writer is behind.
func (w *sharedWriter) send(rows *store.Batch, msgs []jetstream.Msg) {
	w.in <- sharedWork{rows: rows, msgs: msgs}
}

// close writes what was sent and returns when it is acked or nacked.
func (w *sharedWriter) close() {
	close(w.in)
	<-w.done
}

func (w *sharedWriter) run(ctx context.Context) {
	defer close(w.done)
	for work := range w.in {
		rows, msgs := work.rows, work.msgs
		for more := true; more; {
			select {
			case next, ok := <-w.in:
				if more = ok; ok {
					merge(rows, next.rows)
					msgs = append(msgs, next.msgs...)
				}
			default:
				more = false
			}
		}
		w.write(ctx, rows, msgs)
	}
}

// write commits rows and acks msgs; on failure it handles msgs like a
// failed batch (their other rows are committed and rewritten idempotently
// on redelivery).
func (w *sharedWriter) write(ctx context.Context, rows *store.Batch, msgs []jetstream.Msg) {
	if err := w.c.apply(ctx, rows); err != nil {
		w.c.failed(ctx, err, msgs)
		return
	}
	w.c.ackAll(ctx, msgs)
}
