package wa

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/wamesh/wamesh/pkg/control"
)

// pacer is a session's send pacing: a token bucket (messages per minute and
// burst) plus optional random jitter. Each session has its own, so a slow
// session never holds up another.
type pacer struct {
	// cfgLock guards cfg and limiter.
	cfgLock sync.Mutex
	cfg     control.Pacing
	limiter *rate.Limiter // nil = unlimited
}

func newPacer(cfg control.Pacing) *pacer {
	p := &pacer{}
	p.set(cfg)
	return p
}

// set applies a (possibly changed) pacing configuration.
func (p *pacer) set(cfg control.Pacing) {
	p.cfgLock.Lock()
	defer p.cfgLock.Unlock()
	if cfg == p.cfg && (p.limiter != nil || cfg.PerMinute <= 0) {
		return
	}
	p.cfg = cfg
	if cfg.PerMinute <= 0 {
		p.limiter = nil
		return
	}
	burst := max(cfg.Burst, 1)
	p.limiter = rate.NewLimiter(rate.Limit(float64(cfg.PerMinute)/60), burst)
}

func (p *pacer) get() (control.Pacing, *rate.Limiter) {
	p.cfgLock.Lock()
	defer p.cfgLock.Unlock()
	return p.cfg, p.limiter
}

// wait blocks until the session may send the next message.
func (p *pacer) wait(ctx context.Context) error {
	cfg, lim := p.get()
	if lim != nil {
		if err := lim.Wait(ctx); err != nil { // also "would exceed context deadline"
			return fmt.Errorf("%w: %w", ErrPacing, err)
		}
	}
	if cfg.JitterMS > 0 {
		if err := sleep(ctx, time.Duration(rand.IntN(cfg.JitterMS+1))*time.Millisecond); err != nil {
			return fmt.Errorf("%w: %w", ErrPacing, err)
		}
	}
	return nil
}

// typingFor is how long to show "composing" before a text of n characters.
func (p *pacer) typingFor(n int) time.Duration {
	cfg, _ := p.get()
	if !cfg.TypingSim {
		return 0
	}
	d := time.Duration(n) * 60 * time.Millisecond // ~1000 characters a minute
	limit := time.Duration(cfg.MaxTypingMS) * time.Millisecond
	if limit <= 0 {
		limit = 5 * time.Second
	}
	return min(max(d, 500*time.Millisecond), limit)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
