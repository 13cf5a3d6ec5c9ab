package dispatch

import (
	"sync"
	"time"
)

// breaker is a per-endpoint circuit breaker. After threshold consecutive
// failures it opens: the endpoint fetches nothing for cooldown. Then one
// probe delivery at a time is allowed until one succeeds (closed again) or
// fails (open again).
type breaker struct {
	threshold int
	cooldown  time.Duration

	stateLock sync.Mutex // guards failures and openUntil
	failures  int
	openUntil time.Time
}

func newBreaker(threshold int, cooldown time.Duration) *breaker {
	return &breaker{threshold: threshold, cooldown: cooldown}
}

func (b *breaker) success() {
	b.stateLock.Lock()
	defer b.stateLock.Unlock()
	b.failures, b.openUntil = 0, time.Time{}
}

// failure records a failed attempt and reports whether the breaker opened.
func (b *breaker) failure(now time.Time) bool {
	if b.threshold <= 0 {
		return false
	}
	b.stateLock.Lock()
	defer b.stateLock.Unlock()
	b.failures++
	if b.failures >= b.threshold {
		b.openUntil = now.Add(b.cooldown)
		return true
	}
	return false
}

// state returns how long to wait before fetching (open) and whether only a
// single probe may be in flight (half-open).
func (b *breaker) state(now time.Time) (wait time.Duration, probe bool) {
	if b.threshold <= 0 {
		return 0, false
	}
	b.stateLock.Lock()
	defer b.stateLock.Unlock()
	if now.Before(b.openUntil) {
		return b.openUntil.Sub(now), true
	}
	return 0, b.failures >= b.threshold
}
