package gwtest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
)

// FakeQR is the QR code the fake owner hands out.
const FakeQR = "2@fakeqrcode,abc,def,ghi"

// Owner is a fake session owner: it answers every RPC and executes send
// commands by publishing message.sent (or message.failed when the text is
// "fail").
type Owner struct {
	commandsLock sync.Mutex
	commands     map[string]commands.Command // by command id
}

// StartOwner serves RPC and consumes WAMESH_COMMANDS until the test ends.
func StartOwner(t testing.TB, e *Env) *Owner {
	t.Helper()
	o := &Owner{commands: map[string]commands.Command{}}
	sub, err := e.NC.Subscribe("wamesh.rpc.>", o.rpc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cons, err := e.JS.CreateOrUpdateConsumer(ctx, commands.StreamName, jetstream.ConsumerConfig{
		Durable: "fake-owner", FilterSubject: "wamesh.cmd.>", AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { o.execute(ctx, e.JS, m) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Stop)
	return o
}

// Command returns the command with id once the owner has seen it.
func (o *Owner) Command(id string) (commands.Command, bool) {
	o.commandsLock.Lock()
	defer o.commandsLock.Unlock()
	c, ok := o.commands[id]
	return c, ok
}

// Count returns how many commands the owner executed.
func (o *Owner) Count() int {
	o.commandsLock.Lock()
	defer o.commandsLock.Unlock()
	return len(o.commands)
}

func (o *Owner) execute(ctx context.Context, js jetstream.JetStream, m jetstream.Msg) {
	cmd, err := commands.Decode(m.Data())
	if err != nil {
		_ = m.Term()
		return
	}
	o.commandsLock.Lock()
	o.commands[cmd.ID] = cmd
	o.commandsLock.Unlock()
	if cmd.Kind == commands.KindSendMessage {
		o.publishOutcome(ctx, js, cmd)
	}
	_ = m.Ack()
}

func (o *Owner) publishOutcome(ctx context.Context, js jetstream.JetStream, cmd commands.Command) {
	p, _ := commands.PayloadAs[commands.SendMessage](cmd)
	meta := events.Meta{Tenant: cmd.Tenant, Session: cmd.Session, Subject: cmd.Chat}
	if p.Text == "fail" {
		_, _ = events.PublishNew(ctx, js, events.MessageFailed, meta, events.MessageFailedData{
			ID: cmd.MessageID, Chat: cmd.Chat, Code: string(commands.CodeWhatsApp), Reason: "refused by fake owner", Command: cmd.ID})
		return
	}
	_, _ = events.PublishNew(ctx, js, events.MessageSent, meta, events.MessageData{
		ID: cmd.MessageID, Chat: cmd.Chat, Sender: "4900000000@s.whatsapp.net", Timestamp: time.Now().UTC(),
		Type: p.Type, Text: p.Text, FromMe: true, Command: cmd.ID})
}

func (o *Owner) rpc(msg *nats.Msg) {
	var req commands.Request
	parts := strings.Split(msg.Subject, ".")
	op := commands.Op(parts[len(parts)-1])
	switch op {
	case commands.OpQR:
		_ = commands.Reply(msg, commands.QRResponse{Code: FakeQR, ExpiresAt: time.Now().Add(time.Minute), Status: "qr"}, nil)
	case commands.OpPairCode:
		_ = commands.Reply(msg, commands.PairCodeResponse{Code: "ABCD-EFGH", ExpiresAt: time.Now().Add(time.Minute)}, nil)
	case commands.OpGroupInfo, commands.OpGroupCreate, commands.OpGroupJoin:
		_ = commands.Reply(msg, commands.GroupInfo{JID: "120363025246125486@g.us", Subject: "fake"}, nil)
	case commands.OpGroups:
		_ = commands.Reply(msg, []commands.GroupInfo{{JID: "120363025246125486@g.us", Subject: "fake"}}, nil)
	case commands.OpGroupInvite:
		_ = commands.Reply(msg, commands.InviteResponse{Link: "https://chat.whatsapp.com/fake"}, nil)
	case commands.OpCheckNumbers:
		_ = commands.Reply(msg, []commands.CheckResult{{Input: "x", IsOnWhatsApp: true}}, nil)
	default:
		_ = commands.Reply(msg, map[string]string{"op": string(op), "tenant": req.Tenant}, nil)
	}
}
