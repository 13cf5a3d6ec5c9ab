package server

import (
	"testing"
	"time"
)

func TestLimiterEvictsIdleBuckets(t *testing.T) {
	t.Parallel()
	l := newLimiter(10, 10)
	cold := l.get("k:", "cold", 10)
	hot := l.get("k:", "hot", 10)
	hot.lim.Allow() // state that must survive a sweep

	// cold has been idle for longer than idleBucket and a sweep is due
	cold.used = time.Now().Add(-idleBucket - time.Second)
	l.swept = time.Now().Add(-idleBucket)
	if l.get("k:", "hot", 10) != hot {
		t.Fatal("a hot key lost its bucket")
	}
	if _, ok := l.buckets["k:cold"]; ok {
		t.Fatal("an idle bucket was kept")
	}
	if !l.swept.After(time.Now().Add(-time.Minute)) {
		t.Fatal("sweep time not updated")
	}
	if l.get("k:", "cold", 10) == cold {
		t.Fatal("an evicted key got its old bucket back")
	}
	if len(l.buckets) != 2 {
		t.Fatalf("%d buckets, want 2", len(l.buckets))
	}
}
