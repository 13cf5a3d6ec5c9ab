package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/shard"
)

// shardRunner serves one shard while this pod holds its lease: its durable
// command consumer, its RPC subscription and one worker per session.
type shardRunner struct {
	c *Cluster
	n int

	leaseLock sync.Mutex // guards lease and released
	lease     *lease
	released  bool

	ctx    context.Context // hard stop of everything in the shard
	cancel context.CancelFunc
	quit   chan struct{} // graceful stop: finish running commands
	wg     sync.WaitGroup

	workersLock sync.Mutex // guards workers, reason, stopping, consume and sub
	workers     map[string]*worker
	reason      string
	stopping    bool

	inflightLock sync.Mutex // guards inflight
	inflight     map[uint64]jetstream.Msg

	consume jetstream.ConsumeContext
	sub     *nats.Subscription
}

func newShardRunner(c *Cluster, ls *lease) *shardRunner {
	ctx, cancel := context.WithCancel(context.Background())
	return &shardRunner{
		c: c, n: ls.shard, lease: ls, ctx: ctx, cancel: cancel, quit: make(chan struct{}),
		workers: map[string]*worker{}, inflight: map[uint64]jetstream.Msg{},
	}
}

func (s *shardRunner) epoch() uint64 {
	s.leaseLock.Lock()
	defer s.leaseLock.Unlock()
	return s.lease.epoch
}

func (s *shardRunner) stopReason() string {
	s.workersLock.Lock()
	defer s.workersLock.Unlock()
	return s.reason
}

// start begins serving: workers for the shard's known sessions first (so
// their Start is queued before any command arrives), then a fresh consumer
// and the RPC subscription.
func (s *shardRunner) start(ctx context.Context) error {
	for id, sess := range s.c.cache.All(func(k string, _ control.Session) bool { return shard.Of(k, s.c.opts.Shards) == s.n }) {
		s.define(id, sess)
	}
	cons, err := s.freshConsumer(ctx)
	if err != nil {
		return err
	}
	sub, err := s.c.nc.Subscribe(commands.ShardRPCSubscription(s.n), s.onRPC)
	if err != nil {
		return fmt.Errorf("subscribe shard %d rpc: %w", s.n, err)
	}
	consume, err := cons.Consume(s.dispatch,
		jetstream.PullMaxMessages(min(s.c.opts.MaxAckPending, 64)),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if !errors.Is(err, jetstream.ErrNoHeartbeat) {
				s.c.opts.Logger.Debug("shard consumer", "shard", s.n, "err", err)
			}
		}))
	if err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("consume shard %d: %w", s.n, err)
	}
	s.workersLock.Lock()
	defer s.workersLock.Unlock()
	if s.stopping { // lost while starting
		consume.Stop()
		_ = sub.Unsubscribe()
		return fmt.Errorf("%w while starting shard %d", ErrLeaseLost, s.n)
	}
	s.consume, s.sub = consume, sub
	s.wg.Go(s.keepInProgress)
	s.wg.Go(func() { s.sweepOrphans(s.ctx) })
	return nil
}

// freshConsumer deletes the shard's durable consumer and creates it again.
// On a work-queue stream every unacked command is still in the stream, so
// the new consumer delivers them at once and in stream order: commands the
// previous owner received but never acked (crash, handover) are not stuck
// behind its AckWait, and per-session order survives the move.
func (s *shardRunner) freshConsumer(ctx context.Context) (jetstream.Consumer, error) {
	name := commands.ShardConsumerName(s.n)
	err := s.c.js.DeleteConsumer(ctx, natsx.StreamCommands, name)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("reset consumer %s: %w", name, err)
	}
	cons, err := s.c.js.CreateOrUpdateConsumer(ctx, natsx.StreamCommands, jetstream.ConsumerConfig{
		Durable:       name,
		Description:   fmt.Sprintf("commands of shard %d, owned by %s", s.n, s.c.opts.PodID),
		FilterSubject: commands.ShardCommandFilter(s.n),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.c.opts.AckWait,
		MaxDeliver:    -1, // waits for a session are not failures; see expire.go
		MaxAckPending: s.c.opts.MaxAckPending,
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", name, err)
	}
	return cons, nil
}

// define starts or updates the worker of a session of this shard. A worker
// that is deleting the session's previous incarnation is never reused: the
// new one waits for it to finish the wipe, then starts the new definition.
func (s *shardRunner) define(id string, sess control.Session) {
	s.workersLock.Lock()
	defer s.workersLock.Unlock()
	if s.ctx.Err() != nil {
		return
	}
	w, ok := s.workers[id]
	if !ok || w.removed() {
		w = s.spawn(id, w)
	}
	w.define(sess)
}

// remove deletes a session of this shard (it left wamesh_sessions). A
// session never started here gets a worker too, so its wipe is ordered
// before a re-created session with the same id starts.
func (s *shardRunner) remove(id string) {
	s.workersLock.Lock()
	defer s.workersLock.Unlock()
	if s.ctx.Err() != nil {
		return
	}
	w := s.workers[id]
	if w == nil || w.removed() {
		w = s.spawn(id, w)
	}
	w.remove()
}

// spawn registers and runs a new worker for id; it starts after prev (the
// worker it replaces, nil if none) has exited. Called with workersLock held.
func (s *shardRunner) spawn(id string, prev *worker) *worker {
	w := newWorker(s, id)
	if prev != nil {
		w.after = prev.done
	}
	s.workers[id] = w
	s.wg.Go(func() {
		w.run(s.ctx, s.quit)
		s.workersLock.Lock()
		if s.workers[id] == w {
			delete(s.workers, id)
		}
		s.workersLock.Unlock()
	})
	return w
}

func (s *shardRunner) worker(id string) *worker {
	s.workersLock.Lock()
	defer s.workersLock.Unlock()
	return s.workers[id]
}

// dispatch hands a delivered command to its session's queue.
func (s *shardRunner) dispatch(m jetstream.Msg) {
	id := m.Subject()[strings.LastIndexByte(m.Subject(), '.')+1:]
	w := s.worker(id)
	if w == nil {
		// Unknown here: not yet in the watched cache (retry), or deleted.
		s.unknownSession(m)
		return
	}
	if w.removed() { // being deleted; a re-created session gets a new worker
		_ = m.NakWithDelay(retryDelay(s.c.opts.RetryDelay, numDelivered(m)))
		s.c.metrics.command(s.ctx, resultRetry)
		return
	}
	if !s.track(m) {
		return // a redelivery of a command we still hold; that copy settles it
	}
	select {
	case w.cmds <- m:
	default:
		s.untrack(m)
		s.c.opts.Logger.Error("session command queue full; left for redelivery", "session", id, "shard", s.n)
	}
}

// track records a held command; false when its stream sequence is already held.
func (s *shardRunner) track(m jetstream.Msg) bool {
	seq := streamSeq(m)
	s.inflightLock.Lock()
	defer s.inflightLock.Unlock()
	if _, dup := s.inflight[seq]; dup {
		return false
	}
	s.inflight[seq] = m
	return true
}

func (s *shardRunner) untrack(m jetstream.Msg) {
	s.inflightLock.Lock()
	delete(s.inflight, streamSeq(m))
	s.inflightLock.Unlock()
}

// keepInProgress tells JetStream every AckWait/3 that held commands (queued,
// waiting for a retry, or running a long send) are still being worked on.
func (s *shardRunner) keepInProgress() {
	t := time.NewTicker(s.c.opts.AckWait / 3)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.inflightLock.Lock()
			for _, m := range s.inflight {
				_ = m.InProgress()
			}
			s.inflightLock.Unlock()
		}
	}
}

// stop ends the shard. Graceful: no new deliveries, running commands get
// DrainTimeout to finish, then every session is stopped. Not graceful (lease
// lost): everything is cancelled at once.
func (s *shardRunner) stop(graceful bool, reason string) {
	s.workersLock.Lock()
	if s.stopping { // stopped by another path already
		s.workersLock.Unlock()
		s.wg.Wait()
		return
	}
	s.reason, s.stopping = reason, true
	consume, sub := s.consume, s.sub
	s.workersLock.Unlock()
	if consume != nil {
		consume.Stop()
	}
	if sub != nil {
		_ = sub.Unsubscribe()
	}
	if graceful {
		close(s.quit)
		s.waitWorkers(s.c.opts.DrainTimeout)
	}
	s.workersLock.Lock()
	s.cancel()
	s.workersLock.Unlock()
	s.wg.Wait()
}

// waitWorkers waits for every current worker to exit, at most d.
func (s *shardRunner) waitWorkers(d time.Duration) {
	s.workersLock.Lock()
	done := make([]chan struct{}, 0, len(s.workers))
	for _, w := range s.workers {
		done = append(done, w.done)
	}
	s.workersLock.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	for _, ch := range done {
		select {
		case <-ch:
		case <-t.C:
			return
		}
	}
}
