package cluster

import (
	"context"
	"math/rand/v2"
	"reflect"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
)

// worker is the one goroutine of one session on this pod: it starts the
// session (bounded by the cluster's connect limit), runs its commands in
// order, applies changed definitions and finally stops or deletes it.
type worker struct {
	id string
	sh *shardRunner

	pendingLock sync.Mutex // guards pending and deleted
	pending     *control.Session
	deleted     bool
	wake        chan struct{} // cap 1: a definition or delete is pending

	cmds  chan jetstream.Msg // ordered, bounded by MaxAckPending
	done  chan struct{}
	after <-chan struct{} // nil, or the done of the worker this one replaces

	// Owned by the worker goroutine.
	def       control.Session // last definition applied or to apply
	applied   *control.Session
	attempted bool // Start was called at least once: Stop on exit
	claimed   bool // the device binding was claimed for def (tenant, CreatedAt)
	dirty     bool // def not applied yet
	retryAt   time.Time
	backoff   time.Duration

	blockSeq   uint64 // stream sequence nak'd for retry; later commands wait for it
	blockUntil time.Time
	held       []jetstream.Msg
	waiting    []waiting // received before the session was ready, in order
}

func newWorker(sh *shardRunner, id string) *worker {
	return &worker{
		id: id, sh: sh,
		wake: make(chan struct{}, 1),
		cmds: make(chan jetstream.Msg, sh.c.opts.MaxAckPending),
		done: make(chan struct{}),
	}
}

// define hands the worker a (changed) definition; the latest wins.
func (w *worker) define(s control.Session) {
	w.pendingLock.Lock()
	w.pending = &s
	w.pendingLock.Unlock()
	w.notify()
}

// removed reports whether the worker was asked to delete its session: it
// must not take a new definition (that is a new session with the same id).
func (w *worker) removed() bool {
	w.pendingLock.Lock()
	defer w.pendingLock.Unlock()
	return w.deleted
}

// remove asks the worker to delete the session and exit.
func (w *worker) remove() {
	w.pendingLock.Lock()
	w.deleted = true
	w.pendingLock.Unlock()
	w.notify()
}

func (w *worker) notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// takePending moves a pending definition into def; it reports a delete.
func (w *worker) takePending() (deleted bool) {
	w.pendingLock.Lock()
	defer w.pendingLock.Unlock()
	if w.pending != nil {
		if w.applied == nil || !reflect.DeepEqual(*w.applied, *w.pending) {
			w.def, w.dirty, w.retryAt, w.backoff = *w.pending, true, time.Time{}, 0
		}
		w.pending = nil
	}
	return w.deleted
}

// run is the worker goroutine. quit asks for a graceful exit (finish the
// running command, start no other); ctx ending is a hard stop.
func (w *worker) run(ctx context.Context, quit <-chan struct{}) {
	defer close(w.done)
	defer w.exit()
	if !w.waitPrevious(ctx, quit) {
		return
	}
	for {
		if w.takePending() {
			w.delete(ctx)
			w.requeueQueued()
			return
		}
		if w.dirty && !time.Now().Before(w.retryAt) {
			w.start(ctx, quit)
		}
		if stopping(ctx, quit) {
			return
		}
		ready := w.applied != nil && !w.dirty
		if ready && len(w.waiting) > 0 {
			w.runList(ctx, quit, w.takeWaiting())
			continue
		}
		retry, stopRetry := w.timer(w.dirty, w.retryAt)
		unblock, stopUnblock := w.timer(w.blockSeq != 0, w.blockUntil)
		expiry, hasExpiry := w.nextExpiry()
		expire, stopExpire := w.timer(!ready && hasExpiry, expiry)
		select {
		case <-ctx.Done():
		case <-quit:
		case <-w.wake:
		case <-retry:
		case <-unblock:
			w.blockSeq = 0
			w.runList(ctx, quit, w.takeHeld())
		case <-expire:
			w.expireWaiting(ctx)
		case m := <-w.cmds:
			if ready {
				w.onMsg(ctx, quit, m)
			} else {
				w.wait(m) // kept alive by keepInProgress; failed once expired
			}
		}
		stopRetry()
		stopUnblock()
		stopExpire()
	}
}

// waitPrevious waits until the worker this one replaces has exited (its
// wipe is done); false when asked to stop first.
func (w *worker) waitPrevious(ctx context.Context, quit <-chan struct{}) bool {
	if w.after == nil {
		return true
	}
	select {
	case <-w.after:
		return true
	case <-ctx.Done():
		return false
	case <-quit:
		return false
	}
}

// timer returns a channel firing at t when on, else nil.
func (w *worker) timer(on bool, t time.Time) (<-chan time.Time, func() bool) {
	if !on {
		return nil, func() bool { return false }
	}
	tm := time.NewTimer(max(time.Until(t), 0))
	return tm.C, tm.Stop
}

func stopping(ctx context.Context, quit <-chan struct{}) bool {
	select {
	case <-ctx.Done():
		return true
	case <-quit:
		return true
	default:
		return false
	}
}

// start applies def with Sessions.Start under the connect limit, after a
// random jitter; a failure is retried with doubling backoff.
func (w *worker) start(ctx context.Context, quit <-chan struct{}) {
	c := w.sh.c
	select {
	case c.connectSlots <- struct{}{}:
	case <-ctx.Done():
		return
	case <-quit:
		return
	}
	defer func() { <-c.connectSlots }()
	if j := c.opts.ConnectJitter; j > 0 {
		t := time.NewTimer(rand.N(j))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
	var err error
	if w.applied == nil && !w.claimed {
		// First Start here: never load a device bound to another definition.
		if err = c.claimDevice(ctx, w.def); err == nil {
			w.claimed = true
		}
	}
	if err == nil {
		w.attempted = true
		err = c.sessions.Start(ctx, w.def, w.sh.epoch())
	}
	if err != nil {
		w.backoff = min(max(w.backoff*2, c.opts.ConnectBackoff), 30*time.Second)
		w.retryAt = time.Now().Add(w.backoff/2 + rand.N(w.backoff/2+1))
		c.opts.Logger.Warn("session start failed; retrying", "session", w.id, "tenant", w.def.Tenant,
			"shard", w.sh.n, "retry_in", w.backoff, "err", err)
		return
	}
	d := w.def
	w.applied, w.dirty, w.backoff = &d, false, 0
	c.metrics.sessionStarted(ctx)
}

// exit stops the session if this pod ever started it.
func (w *worker) exit() {
	if !w.attempted {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.sh.c.opts.DrainTimeout*2)
	defer cancel()
	w.sh.c.sessions.Stop(ctx, w.id, w.sh.stopReason())
}

// delete logs the session out and wipes it (it left wamesh_sessions). A
// failure is retried with doubling backoff until it succeeds or the shard
// stops (the next owner's orphan sweep then finishes it): a device left
// behind would be inherited by whoever re-creates the session id.
func (w *worker) delete(ctx context.Context) {
	c := w.sh.c
	backoff := time.Duration(0)
	for {
		err := c.sessions.Delete(ctx, w.id)
		if err == nil {
			break
		}
		backoff = min(max(backoff*2, c.opts.ConnectBackoff), 30*time.Second)
		c.opts.Logger.Error("delete session failed; retrying", "session", w.id, "shard", w.sh.n,
			"retry_in", backoff, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			w.attempted = false
			return
		}
	}
	w.attempted = false // deleted: nothing left to stop
}

func (w *worker) takeHeld() []jetstream.Msg {
	h := w.held
	w.held = nil
	return h
}

// onMsg runs one delivered command, keeping per-session order across a
// retry: while a nak'd command awaits redelivery, later ones are held.
func (w *worker) onMsg(ctx context.Context, quit <-chan struct{}, m jetstream.Msg) {
	seq := streamSeq(m)
	if w.blockSeq == 0 {
		w.runList(ctx, quit, []jetstream.Msg{m})
		return
	}
	if seq == w.blockSeq {
		w.blockSeq = 0
		w.runList(ctx, quit, append([]jetstream.Msg{m}, w.takeHeld()...))
		return
	}
	if time.Now().Before(w.blockUntil) {
		w.held = append(w.held, m)
		return
	}
	w.blockSeq = 0 // the retried command did not come back in time; go on
	w.runList(ctx, quit, append(w.takeHeld(), m))
}

// runList executes msgs in order until one is nak'd (the rest are held) or
// the worker is asked to stop (the rest stay unacked for the next owner).
func (w *worker) runList(ctx context.Context, quit <-chan struct{}, msgs []jetstream.Msg) {
	for i, m := range msgs {
		if w.blockSeq != 0 {
			w.held = append(w.held, msgs[i:]...)
			return
		}
		if stopping(ctx, quit) {
			return
		}
		w.execute(ctx, m)
	}
}
