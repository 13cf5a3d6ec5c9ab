package wa

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// A session waiting on its token bucket does not hold up another session;
// typing simulation shows "composing" to the recipient; a cancelled wait is
// a retry, not a failure.
func TestPacingIsPerSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ownerA, _ := e.srv.CreatePhone("+15550000151", "A")
	ownerB, _ := e.srv.CreatePhone("+15550000152", "B")
	bob, _ := e.srv.CreatePhone("+15550000153", "Bob")
	m := e.manager("", "pod-a")
	pair(t, e, m, "sa", ownerA, 1)
	if err := m.Start(e.ctx, def("sb"), 1); err != nil {
		t.Fatal(err)
	}
	qr, err := e.rec.waitCount(e.ctx, "sb", events.SessionQR, 0)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := events.DecodeData[events.SessionQRData](qr)
	if _, err := ownerB.ScanQR(e.ctx, code.Code); err != nil {
		t.Fatal(err)
	}
	if _, err := e.rec.waitCount(e.ctx, "sb", events.SessionConnected, 0); err != nil {
		t.Fatal(err)
	}
	a, b := def("sa"), def("sb")
	a.Pacing = control.Pacing{PerMinute: 1, Burst: 1}
	b.Pacing = control.Pacing{TypingSim: true, MaxTypingMS: 300}
	for _, d := range []control.Session{a, b} {
		if err := m.Start(e.ctx, d, 1); err != nil {
			t.Fatal(err)
		}
	}
	send := func(ctx context.Context, session, text string) error {
		cmd, _ := commands.NewCommand(commands.KindSendMessage, "t1", session, ids.NewMessageID(), bob.JID().String(),
			commands.SendMessage{Type: events.TypeText, Text: text})
		return m.Execute(ctx, cmd)
	}
	if err := send(e.ctx, "sa", "a1"); err != nil {
		t.Fatalf("first paced message: %v", err)
	}
	actx, cancel := context.WithCancel(e.ctx)
	blocked := make(chan error, 1)
	go func() { blocked <- send(actx, "sa", "a2") }()

	if err := send(e.ctx, "sb", "b1"); err != nil {
		t.Fatalf("other session: %v", err)
	}
	select {
	case err := <-blocked:
		t.Fatalf("paced session sent its second message within the minute: %v", err)
	default:
	}
	testutil.Eventually(t, 5*time.Second, func() bool {
		for _, cs := range bob.ChatStates() {
			if cs.From.User == ownerB.JID().User && cs.State == "composing" {
				return true
			}
		}
		return false
	}, "bob sees B typing")

	deadline, cancel2 := context.WithTimeout(e.ctx, 50*time.Millisecond)
	defer cancel2()
	if err := send(deadline, "sa", "a3"); !errors.Is(err, ErrPacing) {
		t.Fatalf("pacing wait beyond the deadline = %v, want ErrPacing (retry)", err)
	}
	cancel()
	err = <-blocked
	var ce *commands.Error
	if err == nil || errors.As(err, &ce) {
		t.Fatalf("cancelled pacing wait = %v, want a plain (retry) error", err)
	}
}
