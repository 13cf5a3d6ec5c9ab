package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
)

// ledger is the shared truth of a multi-instance test: who runs which
// session, what each pod executed and acked, and every violation of single
// ownership seen on the way.
type ledger struct {
	lock       sync.Mutex
	owner      map[string]string   // session -> pod that started it and has not stopped it
	starts     map[string]int      // session -> Start calls
	stops      map[string][]string // session -> reasons of its Stop calls
	deletes    map[string]int      // session -> Delete calls
	defs       map[string]control.Session
	epochs     map[string]uint64   // session -> last epoch given to Start
	executed   map[string][]string // session -> command ids in execution order
	execPod    map[string][]string // command id -> pods that executed it
	acked      map[string]int      // command id -> confirmed acks
	failOnce   map[string]bool     // command id -> fail its first execution with a transient error
	failStart  map[string]bool     // pod or session -> every Start fails
	startGate  chan struct{}       // when set, Start waits for a receive from it
	inStart    int                 // Start calls in progress
	maxInStart int                 // most Start calls in progress at once
	violations []string
	trail      map[string][]string // session -> "start <name>" / "delete", in call order
	failDelete map[string]int      // session -> Delete calls still to fail
	offline    map[string]bool     // session -> every Execute fails transiently
}

func newLedger() *ledger {
	return &ledger{
		owner: map[string]string{}, starts: map[string]int{}, stops: map[string][]string{},
		deletes: map[string]int{}, defs: map[string]control.Session{}, epochs: map[string]uint64{},
		executed: map[string][]string{}, execPod: map[string][]string{}, acked: map[string]int{},
		failOnce: map[string]bool{}, failStart: map[string]bool{}, trail: map[string][]string{},
		failDelete: map[string]int{}, offline: map[string]bool{},
	}
}

func (l *ledger) violate(format string, args ...any) {
	l.violations = append(l.violations, fmt.Sprintf(format, args...))
}

// ack is the Hooks.Acked of every instance.
func (l *ledger) ack(_ string, id string) {
	l.lock.Lock()
	defer l.lock.Unlock()
	l.acked[id]++
}

// snapshot helpers for assertions.
func (l *ledger) ownerOf(session string) string {
	l.lock.Lock()
	defer l.lock.Unlock()
	return l.owner[session]
}

func (l *ledger) owners() map[string]string {
	l.lock.Lock()
	defer l.lock.Unlock()
	out := make(map[string]string, len(l.owner))
	for k, v := range l.owner {
		out[k] = v
	}
	return out
}

func (l *ledger) stopReasons(session string) []string {
	l.lock.Lock()
	defer l.lock.Unlock()
	return append([]string(nil), l.stops[session]...)
}

// fakeSessions is the engine.Sessions of one pod in a test.
type fakeSessions struct {
	pod string
	l   *ledger
}

var errTransient = errors.New("transient test failure")

func (f *fakeSessions) Start(ctx context.Context, s control.Session, epoch uint64) error {
	if err := f.gate(ctx); err != nil {
		return err
	}
	f.l.lock.Lock()
	defer f.l.lock.Unlock()
	if f.l.failStart[f.pod] || f.l.failStart[s.ID] {
		return errTransient
	}
	if o := f.l.owner[s.ID]; o != "" && o != f.pod {
		f.l.violate("%s started %s while %s still runs it", f.pod, s.ID, o)
	}
	if prev := f.l.epochs[s.ID]; epoch < prev {
		f.l.violate("%s started %s with epoch %d below %d", f.pod, s.ID, epoch, prev)
	}
	f.l.owner[s.ID] = f.pod
	f.l.trail[s.ID] = append(f.l.trail[s.ID], "start "+s.Name)
	f.l.starts[s.ID]++
	f.l.defs[s.ID] = s
	f.l.epochs[s.ID] = epoch
	return nil
}

func (f *fakeSessions) Stop(_ context.Context, session, reason string) {
	f.l.lock.Lock()
	defer f.l.lock.Unlock()
	if f.l.owner[session] == f.pod {
		delete(f.l.owner, session)
	}
	f.l.stops[session] = append(f.l.stops[session], reason)
}

func (f *fakeSessions) Delete(_ context.Context, session string) error {
	f.l.lock.Lock()
	defer f.l.lock.Unlock()
	if f.l.failDelete[session] > 0 {
		f.l.failDelete[session]--
		f.l.trail[session] = append(f.l.trail[session], "delete failed")
		return errTransient
	}
	if f.l.owner[session] == f.pod {
		delete(f.l.owner, session)
	}
	f.l.deletes[session]++
	f.l.trail[session] = append(f.l.trail[session], "delete")
	return nil
}

func (f *fakeSessions) Execute(_ context.Context, cmd commands.Command) error {
	f.l.lock.Lock()
	defer f.l.lock.Unlock()
	if o := f.l.owner[cmd.Session]; o != f.pod {
		f.l.violate("%s executed %s of %s owned by %q", f.pod, cmd.ID, cmd.Session, o)
	}
	if f.l.offline[cmd.Session] {
		return errTransient
	}
	if f.l.failOnce[cmd.ID] {
		f.l.failOnce[cmd.ID] = false
		return errTransient
	}
	f.l.executed[cmd.Session] = append(f.l.executed[cmd.Session], cmd.ID)
	f.l.execPod[cmd.ID] = append(f.l.execPod[cmd.ID], f.pod)
	if cmd.Kind == commands.KindReact {
		return commands.Errorf(commands.CodeWhatsApp, "final test failure")
	}
	return nil
}

// rpcAnswer is what the fake's Call returns.
type rpcAnswer struct {
	Pod     string `json:"pod"`
	Session string `json:"session"`
}

func (f *fakeSessions) Call(_ context.Context, req commands.Request) (any, error) {
	return rpcAnswer{Pod: f.pod, Session: req.Session}, nil
}

func (f *fakeSessions) Running() []string {
	f.l.lock.Lock()
	defer f.l.lock.Unlock()
	var out []string
	for s, o := range f.l.owner {
		if o == f.pod {
			out = append(out, s)
		}
	}
	return out
}

// gate blocks Start on startGate when set, tracking concurrency.
func (f *fakeSessions) gate(ctx context.Context) error {
	f.l.lock.Lock()
	gate := f.l.startGate
	if gate == nil {
		f.l.lock.Unlock()
		return nil
	}
	f.l.inStart++
	f.l.maxInStart = max(f.l.maxInStart, f.l.inStart)
	f.l.lock.Unlock()
	defer func() {
		f.l.lock.Lock()
		f.l.inStart--
		f.l.lock.Unlock()
	}()
	select {
	case <-gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
