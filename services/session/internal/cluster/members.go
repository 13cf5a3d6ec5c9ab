package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// members keeps this pod's heartbeat in wamesh_members and the set of live
// members. Expiry by bucket TTL produces no watch event, so the set is both
// watched (fast joins and graceful leaves) and re-listed on every heartbeat
// (crashed pods whose keys expired).
type members struct {
	kv     jetstream.KeyValue
	self   string
	ttl    time.Duration
	change func() // called when the member set changed

	setLock sync.Mutex
	set     map[string]bool
}

func newMembers(kv jetstream.KeyValue, self string, ttl time.Duration, change func()) *members {
	return &members{kv: kv, self: self, ttl: ttl, change: change, set: map[string]bool{self: true}}
}

// List returns the live members, always including this pod, sorted.
func (m *members) List() []string {
	m.setLock.Lock()
	defer m.setLock.Unlock()
	out := make([]string, 0, len(m.set))
	for k := range m.set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// heartbeat writes this pod's key once.
func (m *members) heartbeat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, m.ttl/3)
	defer cancel()
	if _, err := m.kv.PutString(ctx, m.self, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	return nil
}

// refresh re-lists the live members and replaces the set.
func (m *members) refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, m.ttl/3)
	defer cancel()
	keys, err := m.kv.Keys(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		return fmt.Errorf("list members: %w", err)
	}
	next := map[string]bool{m.self: true}
	for _, k := range keys {
		next[k] = true
	}
	m.replace(next)
	return nil
}

func (m *members) replace(next map[string]bool) {
	m.setLock.Lock()
	changed := len(next) != len(m.set)
	for k := range next {
		if !m.set[k] {
			changed = true
		}
	}
	m.set = next
	m.setLock.Unlock()
	if changed {
		m.change()
	}
}

// apply applies one watch update.
func (m *members) apply(e jetstream.KeyValueEntry) {
	m.setLock.Lock()
	key, had := e.Key(), m.set[e.Key()]
	put := e.Operation() == jetstream.KeyValuePut
	switch {
	case put && !had:
		m.set[key] = true
	case !put && had && key != m.self:
		delete(m.set, key)
	default:
		m.setLock.Unlock()
		return
	}
	m.setLock.Unlock()
	m.change()
}

// run heartbeats every TTL/3 and watches the bucket until ctx ends.
func (m *members) run(ctx context.Context, logger logf) {
	w, err := m.kv.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		logger("watch members failed; relying on the heartbeat listing", "err", err)
	}
	var updates <-chan jetstream.KeyValueEntry
	if w != nil {
		defer w.Stop()
		updates = w.Updates()
	}
	tick := time.NewTicker(m.ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-updates:
			if !ok {
				updates = nil
				continue
			}
			if e != nil {
				m.apply(e)
			}
		case <-tick.C:
			if err := m.heartbeat(ctx); err != nil {
				logger("membership heartbeat failed", "err", err)
				continue
			}
			if err := m.refresh(ctx); err != nil {
				logger("membership listing failed", "err", err)
			}
		}
	}
}

// leave deletes this pod's key so others rebalance at once.
func (m *members) leave(ctx context.Context) error {
	if err := m.kv.Delete(ctx, m.self); err != nil {
		return fmt.Errorf("leave membership: %w", err)
	}
	return nil
}

// logf is a slog-style warning function.
type logf func(msg string, args ...any)
