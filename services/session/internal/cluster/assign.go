package cluster

import (
	"context"
	"sync"
	"time"

	"github.com/wamesh/wamesh/pkg/shard"
)

// assignLoop reconciles held shards with desired ones on every membership
// or lease change and every LeaseTTL/6 (expired leases of crashed pods
// produce no watch event, so desired-but-unowned shards are retried).
func (c *Cluster) assignLoop(ctx context.Context) {
	t := time.NewTicker(max(c.opts.LeaseTTL/6, 100*time.Millisecond))
	defer t.Stop()
	for {
		c.reconcile(ctx)
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		case <-t.C:
		}
	}
}

// reconcile acquires desired shards it can, hands over undesired ones and
// marks the pod ready once it holds all it should.
func (c *Cluster) reconcile(ctx context.Context) {
	live := c.members.List()
	var handover []*shardRunner
	missing := 0
	for n := range c.opts.Shards {
		want := shard.Owner(n, live) == c.opts.PodID
		c.shardsLock.Lock()
		r := c.shards[n]
		if r != nil && !want {
			delete(c.shards, n)
			handover = append(handover, r)
		}
		c.shardsLock.Unlock()
		if want && r == nil && !c.take(ctx, n) {
			missing++
		}
	}
	c.stopAll(handover, true, ReasonHandover, true)
	if missing == 0 && ctx.Err() == nil && !c.ready.Swap(true) {
		c.opts.Logger.Info("first shard assignment complete", "pod", c.opts.PodID, "owned", len(c.Owned()))
	}
}

// take tries to acquire shard n and start serving it.
func (c *Cluster) take(ctx context.Context, n int) bool {
	if ctx.Err() != nil {
		return false
	}
	ls, err := c.leases.acquire(ctx, n)
	if err != nil {
		c.opts.Logger.Warn("lease acquire failed", "shard", n, "err", err)
		return false
	}
	if ls == nil {
		return false // held by another pod; retried on its release or expiry
	}
	c.metrics.lease(leaseAcquired)
	r := newShardRunner(c, ls)
	c.shardsLock.Lock()
	c.shards[n] = r
	c.shardsLock.Unlock()
	if err := r.start(ctx); err != nil {
		c.opts.Logger.Error("serve shard failed; releasing it", "shard", n, "err", err)
		c.shardsLock.Lock()
		delete(c.shards, n)
		c.shardsLock.Unlock()
		c.stopAll([]*shardRunner{r}, false, ReasonHandover, true)
		return false
	}
	c.opts.Logger.Info("shard acquired", "shard", n, "epoch", ls.epoch)
	return true
}

// stopAll stops runners in parallel and, when release is set, deletes
// their lease keys so the next owner takes over at once.
func (c *Cluster) stopAll(runners []*shardRunner, graceful bool, reason string, release bool) {
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Go(func() {
			r.stop(graceful, reason)
			if !release {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), c.opts.LeaseTTL/3)
			defer cancel()
			if err := r.release(ctx, c.leases); err != nil {
				c.opts.Logger.Warn("lease release failed; it expires after the TTL", "shard", r.n, "err", err)
				return
			}
			c.metrics.lease(leaseReleased)
			c.opts.Logger.Info("shard released", "shard", r.n, "reason", reason)
		})
	}
	wg.Wait()
}

// shutdown leaves the cluster: membership first (others rebalance), then
// every shard drained, stopped and released. With the Crash hook it only
// stops the sessions, like a killed process whose sockets close.
func (c *Cluster) shutdown() {
	crash := c.opts.Hooks.Crash != nil && c.opts.Hooks.Crash()
	if !crash {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if err := c.members.leave(ctx); err != nil {
			c.opts.Logger.Warn("leave membership failed", "err", err)
		}
		cancel()
	}
	c.shardsLock.Lock()
	runners := make([]*shardRunner, 0, len(c.shards))
	for n, r := range c.shards {
		runners = append(runners, r)
		delete(c.shards, n)
	}
	c.shardsLock.Unlock()
	if crash {
		c.stopAll(runners, false, ReasonCrash, false)
		return
	}
	c.stopAll(runners, true, ReasonShutdown, true)
	c.opts.Logger.Info("cluster left", "pod", c.opts.PodID, "released", len(runners))
}

// renew renews the runner's lease unless it was released.
func (s *shardRunner) renew(ctx context.Context, l *leases) error {
	s.leaseLock.Lock()
	defer s.leaseLock.Unlock()
	if s.released {
		return nil
	}
	return l.renew(ctx, s.lease)
}

// release deletes the lease key at its last revision, once.
func (s *shardRunner) release(ctx context.Context, l *leases) error {
	s.leaseLock.Lock()
	defer s.leaseLock.Unlock()
	if s.released {
		return nil
	}
	s.released = true
	return l.release(ctx, s.lease)
}

// markReleased stops renewals of a lost lease.
func (s *shardRunner) markReleased() {
	s.leaseLock.Lock()
	s.released = true
	s.leaseLock.Unlock()
}
