// Package cluster is the ownership half of the session service (DESIGN §6):
// membership heartbeats, rendezvous assignment of shards to live pods,
// shard leases with revision compare-and-swap (the fencing epoch), and, for
// every shard this pod holds, the durable command consumer, the RPC
// subscription and one ordered worker per session, all driving an
// engine.Sessions (the WhatsApp half).
package cluster

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/shard"
	"github.com/wamesh/wamesh/services/session/internal/engine"
)

// Cluster runs this pod's share of the sessions. Create it with New and
// run it with Run.
type Cluster struct {
	opts     Options
	nc       *nats.Conn
	js       jetstream.JetStream
	sessions engine.Sessions

	members *members
	leases  *leases
	cache   *control.Cache[control.Session]
	// kvSessions is wamesh_sessions, read by the orphan sweep.
	kvSessions jetstream.KeyValue
	metrics    *metrics

	connectSlots chan struct{} // bounds concurrent Sessions.Start
	rpcSlots     chan struct{} // bounds concurrent Sessions.Call
	kick         chan struct{} // cap 1: membership or leases changed

	shardsLock sync.Mutex // guards shards
	shards     map[int]*shardRunner

	ready atomic.Bool
}

// New checks the options; Run does the work.
func New(nc *nats.Conn, js jetstream.JetStream, sessions engine.Sessions, opts Options) (*Cluster, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Cluster{
		opts: o, nc: nc, js: js, sessions: sessions,
		connectSlots: make(chan struct{}, o.ConnectConcurrency),
		rpcSlots:     make(chan struct{}, o.MaxRPCs),
		kick:         make(chan struct{}, 1),
		shards:       map[int]*shardRunner{},
	}, nil
}

// Ready reports whether the first assignment round is complete: this pod
// holds every shard the rendezvous assigns it (or none is assigned). It
// stays true afterwards.
func (c *Cluster) Ready() bool { return c.ready.Load() }

// Owned returns the shards this pod holds, sorted.
func (c *Cluster) Owned() []int {
	c.shardsLock.Lock()
	defer c.shardsLock.Unlock()
	out := make([]int, 0, len(c.shards))
	for n := range c.shards {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Run joins the cluster and serves this pod's shards until ctx ends, then
// leaves gracefully: membership key deleted first (so the others rebalance),
// consumers stopped, running commands drained, sessions stopped, leases
// released.
func (c *Cluster) Run(ctx context.Context) error {
	if err := c.open(ctx); err != nil {
		c.leaveAfterFailedStart()
		return ignoreIfDone(ctx, err)
	}
	wctx, stopWatches := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWatches()
	if err := c.startWatches(wctx); err != nil {
		stopWatches() // no heartbeat may land after the leave
		c.leaveAfterFailedStart()
		return ignoreIfDone(ctx, err)
	}
	var renewers sync.WaitGroup
	renewers.Go(func() { c.renewLoop(wctx) })
	c.opts.Logger.Info("cluster joined", "pod", c.opts.PodID, "shards", c.opts.Shards, "members", c.members.List())
	c.assignLoop(ctx)
	c.shutdown()
	c.metrics.close()
	stopWatches()
	renewers.Wait()
	return nil
}

// leaveAfterFailedStart deletes this pod's membership key when Run ends
// before serving. The first heartbeat may have been written even when its
// call failed (ctx cancelled after the server stored it), and a member key
// left behind would make the others assign shards to a pod that is gone
// until the TTL expires.
func (c *Cluster) leaveAfterFailedStart() {
	if c.members == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.members.leave(ctx); err != nil {
		c.opts.Logger.Warn("leave membership failed", "err", err)
	}
}

// ignoreIfDone drops err when ctx ended: a shutdown during start-up is not
// a failure.
func ignoreIfDone(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// open binds the buckets and announces this pod.
func (c *Cluster) open(ctx context.Context) error {
	kvMembers, err := c.js.KeyValue(ctx, natsx.BucketMembers)
	if err != nil {
		return fmt.Errorf("open %s: %w", natsx.BucketMembers, err)
	}
	kvLeases, err := c.js.KeyValue(ctx, natsx.BucketLeases)
	if err != nil {
		return fmt.Errorf("open %s: %w", natsx.BucketLeases, err)
	}
	c.members = newMembers(kvMembers, c.opts.PodID, c.opts.MemberTTL, c.kickAssign)
	c.leases = &leases{kv: kvLeases, self: c.opts.PodID, ttl: c.opts.LeaseTTL}
	if c.metrics, err = newMetrics(c, c.opts.Meter); err != nil {
		return fmt.Errorf("cluster metrics: %w", err)
	}
	if err := c.members.heartbeat(ctx); err != nil {
		return err
	}
	return c.members.refresh(ctx)
}

// startWatches starts the session definitions cache, the membership loop
// and the leases watch.
func (c *Cluster) startWatches(ctx context.Context) error {
	kvSessions, err := c.js.KeyValue(ctx, natsx.BucketSessions)
	if err != nil {
		return fmt.Errorf("open %s: %w", natsx.BucketSessions, err)
	}
	c.kvSessions = kvSessions
	c.cache, err = control.Watch(ctx, kvSessions, c.opts.Logger, control.OnChange(c.sessionChanged))
	if err != nil {
		return err
	}
	go c.members.run(ctx, c.opts.Logger.Warn)
	w, err := c.leases.kv.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		return fmt.Errorf("watch %s: %w", natsx.BucketLeases, err)
	}
	go c.watchLeases(ctx, w)
	return nil
}

func (c *Cluster) kickAssign() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// sessionChanged routes a wamesh_sessions change to the shard that owns it.
func (c *Cluster) sessionChanged(id string, sess control.Session, deleted bool) {
	c.shardsLock.Lock()
	r := c.shards[shard.Of(id, c.opts.Shards)]
	c.shardsLock.Unlock()
	switch {
	case r == nil:
	case deleted:
		r.remove(id)
	default:
		r.define(id, sess)
	}
}

// watchLeases reacts to lease changes: a released key lets a desired
// owner acquire at once; a key of ours rewritten by someone else means the
// lease is lost right now, not at the next renewal.
func (c *Cluster) watchLeases(ctx context.Context, w jetstream.KeyWatcher) {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				continue
			}
			n, isShard := shardOfKey(e.Key())
			if !isShard {
				continue
			}
			if e.Operation() == jetstream.KeyValuePut && string(e.Value()) != c.opts.PodID {
				c.loseIfNewer(n, e.Revision(), fmt.Errorf("%w: taken by %q at revision %d", ErrLeaseLost, e.Value(), e.Revision()))
			}
			c.kickAssign()
		}
	}
}

// renewLoop renews every held lease each LeaseTTL/3; a failure stops the
// shard at once.
func (c *Cluster) renewLoop(ctx context.Context) {
	t := time.NewTicker(c.opts.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.shardsLock.Lock()
		runners := make([]*shardRunner, 0, len(c.shards))
		for _, r := range c.shards {
			runners = append(runners, r)
		}
		c.shardsLock.Unlock()
		for _, r := range runners {
			if err := r.renew(ctx, c.leases); err != nil {
				c.lose(r.n, err)
			}
		}
	}
}

// lose stops a shard whose lease is gone, without draining: another pod
// may be connecting its sessions already.
func (c *Cluster) lose(n int, cause error) {
	c.shardsLock.Lock()
	r := c.shards[n]
	delete(c.shards, n)
	c.shardsLock.Unlock()
	if r == nil {
		return
	}
	r.markReleased()
	c.opts.Logger.Warn("shard lease lost; stopping its sessions", "shard", n, "err", cause)
	c.metrics.lease(leaseLost)
	r.stop(false, ReasonLeaseLost)
	c.kickAssign()
}

// loseIfNewer loses shard n if rev was written after this pod acquired it
// (an older write is the previous owner's, seen late).
func (c *Cluster) loseIfNewer(n int, rev uint64, cause error) {
	c.shardsLock.Lock()
	r := c.shards[n]
	c.shardsLock.Unlock()
	if r != nil && rev > r.epoch() {
		c.lose(n, cause)
	}
}
