package cluster

import (
	"errors"
	"testing"
	"time"
)

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		delivered uint64
		want      time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {4, 8 * time.Second}, {7, time.Minute}, {100, time.Minute}} {
		if got := retryDelay(time.Second, tc.delivered); got != tc.want {
			t.Errorf("retryDelay(1s, %d) = %s, want %s", tc.delivered, got, tc.want)
		}
	}
}

func TestShardOfKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key  string
		n    int
		isOK bool
	}{{"shard.0", 0, true}, {"shard.63", 63, true}, {leaseKey(7), 7, true}, {"shard.", 0, false}, {"shard.-1", 0, false}, {"pod-a", 0, false}, {"shard.x", 0, false}} {
		n, ok := shardOfKey(tc.key)
		if ok != tc.isOK || (ok && n != tc.n) {
			t.Errorf("shardOfKey(%q) = %d, %v; want %d, %v", tc.key, n, ok, tc.n, tc.isOK)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		o    Options
		ok   bool
	}{
		{"minimal", Options{PodID: "p", Shards: 64}, true},
		{"no pod", Options{Shards: 64}, false},
		{"no shards", Options{PodID: "p"}, false},
		{"too many shards", Options{PodID: "p", Shards: 1025}, false},
		{"short ttl", Options{PodID: "p", Shards: 1, LeaseTTL: 100 * time.Millisecond}, false},
	} {
		o, err := tc.o.withDefaults()
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrBadOptions)) {
			t.Errorf("%s: err %v, want ok=%v", tc.name, err, tc.ok)
		}
		if tc.ok && (o.ConnectConcurrency != 8 || o.LeaseTTL != 15*time.Second || o.MaxAckPending != 256 || o.Logger == nil) {
			t.Errorf("%s: defaults not applied: %+v", tc.name, o)
		}
	}
}
