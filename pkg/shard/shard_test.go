package shard

import (
	"fmt"
	"testing"
)

func TestOfIsStableAndInRange(t *testing.T) {
	t.Parallel()
	for i := 0; i < 1000; i++ {
		s := fmt.Sprintf("session-%d", i)
		a, b := Of(s, 64), Of(s, 64)
		if a != b || a < 0 || a >= 64 {
			t.Fatalf("Of(%q) = %d, %d", s, a, b)
		}
	}
	// The hash is a cluster-wide contract: pin known values so a change breaks loudly.
	if got := Of("s1", 64); got != 9 {
		t.Fatalf("Of(s1, 64) = %d, want 9", got)
	}
	if got := Of("session-42", 64); got != 20 {
		t.Fatalf("Of(session-42, 64) = %d, want 20", got)
	}
}

func TestOwnerBalancesAndMovesMinimally(t *testing.T) {
	t.Parallel()
	members := []string{"pod-a", "pod-b", "pod-c"}
	counts := map[string]int{}
	before := map[int]string{}
	for n := 0; n < 64; n++ {
		o := Owner(n, members)
		counts[o]++
		before[n] = o
	}
	for _, m := range members {
		if counts[m] < 10 {
			t.Fatalf("member %s owns only %d of 64 shards: %v", m, counts[m], counts)
		}
	}
	// Removing pod-b must move only pod-b's shards.
	for n := 0; n < 64; n++ {
		after := Owner(n, []string{"pod-a", "pod-c"})
		if before[n] != "pod-b" && after != before[n] {
			t.Fatalf("shard %d moved from %s to %s although its owner stayed", n, before[n], after)
		}
	}
	if Owner(1, nil) != "" {
		t.Fatal("no members must give no owner")
	}
}
