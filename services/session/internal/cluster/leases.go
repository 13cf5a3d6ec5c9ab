package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// leaseKey is the wamesh_leases key of a shard.
func leaseKey(shardNo int) string { return "shard." + strconv.Itoa(shardNo) }

// lease is a held shard lease. epoch is the revision of the Create that won
// it: later owners always get a higher one, so it fences state writes.
// rev is the current revision, advanced by every renewal.
type lease struct {
	shard     int
	epoch     uint64
	rev       uint64
	renewedAt time.Time
}

// leases acquires, renews and releases shard leases in wamesh_leases.
type leases struct {
	kv   jetstream.KeyValue
	self string
	ttl  time.Duration
}

// acquire tries to create the shard's key. It returns (nil, nil) when
// another pod holds it.
func (l *leases) acquire(ctx context.Context, shardNo int) (*lease, error) {
	ctx, cancel := context.WithTimeout(ctx, l.ttl/3)
	defer cancel()
	now := time.Now()
	rev, err := l.kv.Create(ctx, leaseKey(shardNo), []byte(l.self))
	if errors.Is(err, jetstream.ErrKeyExists) {
		return l.reclaim(ctx, shardNo, now)
	}
	if err != nil {
		return nil, fmt.Errorf("acquire %s: %w", leaseKey(shardNo), err)
	}
	return &lease{shard: shardNo, epoch: rev, rev: rev, renewedAt: now}, nil
}

// reclaim takes over a lease left by an earlier run of this same pod id
// (a restart after a crash with a stable WAMESH_POD_ID, e.g. a StatefulSet
// pod or the all-in-one): that process is gone, so waiting for the TTL
// gains nothing. A lease of another pod gives (nil, nil).
func (l *leases) reclaim(ctx context.Context, shardNo int, now time.Time) (*lease, error) {
	e, err := l.kv.Get(ctx, leaseKey(shardNo))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil // released meanwhile; the next round creates it
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", leaseKey(shardNo), err)
	}
	if string(e.Value()) != l.self {
		return nil, nil
	}
	rev, err := l.kv.Update(ctx, leaseKey(shardNo), []byte(l.self), e.Revision())
	if err != nil {
		return nil, nil // someone else moved first
	}
	return &lease{shard: shardNo, epoch: rev, rev: rev, renewedAt: now}, nil
}

// renew advances the lease by compare-and-swap on its revision. Any error
// means the lease is lost: the key expired, was taken, or NATS did not
// confirm in time.
func (l *leases) renew(ctx context.Context, ls *lease) error {
	if time.Since(ls.renewedAt) > l.ttl*2/3 {
		return fmt.Errorf("%w: not renewed for %s", ErrLeaseLost, time.Since(ls.renewedAt).Round(time.Millisecond))
	}
	ctx, cancel := context.WithTimeout(ctx, l.ttl/3)
	defer cancel()
	now := time.Now()
	rev, err := l.kv.Update(ctx, leaseKey(ls.shard), []byte(l.self), ls.rev)
	if err != nil {
		return fmt.Errorf("%w: renew %s: %w", ErrLeaseLost, leaseKey(ls.shard), err)
	}
	ls.rev, ls.renewedAt = rev, now
	return nil
}

// release deletes the key if it is still ours, so the next owner need not
// wait for the TTL.
func (l *leases) release(ctx context.Context, ls *lease) error {
	if err := l.kv.Delete(ctx, leaseKey(ls.shard), jetstream.LastRevision(ls.rev)); err != nil {
		return fmt.Errorf("release %s: %w", leaseKey(ls.shard), err)
	}
	return nil
}

// shardOfKey parses "shard.<n>"; ok is false for other keys.
func shardOfKey(key string) (int, bool) {
	rest, found := strings.CutPrefix(key, "shard.")
	if !found {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}
