package wa

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/services/session/internal/devicestore"
	"github.com/wamesh/wamesh/services/session/internal/walog"
)

// session is one running WhatsApp session and its whatsmeow client.
type session struct {
	m      *Manager
	id     string
	tenant string
	log    *slog.Logger
	epoch  atomic.Uint64
	pacer  *pacer

	// ctx lives as long as the session runs on this pod (QR watcher, downloads).
	ctx    context.Context
	cancel context.CancelFunc

	// clientLock guards client (replaced on logout and restart) and qrCancel.
	clientLock sync.RWMutex
	client     *whatsmeow.Client
	qrCancel   context.CancelFunc // stops the current client's QR channel

	// defLock guards def and seen.
	defLock sync.Mutex
	def     control.Session
	seen    devicestore.Binding

	// stateLock guards state and serialises state writes.
	stateLock sync.Mutex
	state     control.SessionState

	qrAttempt  atomic.Int32
	reconnects atomic.Int32 // disconnects since the last successful connect
	// me is the paired account; nil while unpaired. Kept here because
	// whatsmeow writes its Store fields from its own goroutines.
	me atomic.Pointer[identity]
}

// identity is who a paired session is.
type identity struct {
	jid      types.JID // device JID
	lid      types.JID // account LID
	pushName string
	platform string
}

// own returns this account's phone-number JID (empty before pairing).
func (id *identity) own() types.JID {
	if id == nil {
		return types.EmptyJID
	}
	return id.jid.ToNonAD()
}

func newSession(m *Manager, def control.Session, epoch uint64) *session {
	s := &session{m: m, id: def.ID, tenant: def.Tenant, def: def,
		log: m.log.With("session", def.ID, "tenant", def.Tenant)}
	s.epoch.Store(epoch)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.pacer = newPacer(pacingOf(def, m.cfg.DefaultPacing))
	s.state = control.SessionState{Session: def.ID, Tenant: def.Tenant}
	return s
}

func pacingOf(def control.Session, fallback control.Pacing) control.Pacing {
	if def.Pacing == (control.Pacing{}) {
		return fallback
	}
	return def.Pacing
}

func (s *session) cli() *whatsmeow.Client {
	s.clientLock.RLock()
	defer s.clientLock.RUnlock()
	return s.client
}

// start loads the device, builds the client and connects (pairing mode when
// the session has no device yet).
func (s *session) start(ctx context.Context) error {
	b, err := s.m.store.Binding(ctx, s.id)
	if err != nil {
		return err
	}
	if s.def.Logout > b.LogoutSeen && !b.JID.IsEmpty() { // logout requested while nobody ran it
		if err := s.m.store.Wipe(ctx, s.id, types.EmptyJID); err != nil {
			return err
		}
		b.JID = types.EmptyJID
	}
	b.LogoutSeen, b.RestartSeen = s.def.Logout, s.def.Restart
	if err := s.m.store.Bind(ctx, s.id, b); err != nil {
		return err
	}
	s.seen = b
	if err := s.newClient(ctx); err != nil {
		return err
	}
	_ = s.setState(ctx, func(st *control.SessionState) { st.Status, st.Error = control.StatusStarting, "" })
	return s.connect(ctx)
}

func (s *session) newClient(ctx context.Context) error {
	dev, err := s.m.store.Device(ctx, s.id)
	if err != nil {
		return err
	}
	if dev.ID != nil {
		s.me.Store(&identity{jid: *dev.ID, lid: dev.LID, pushName: dev.PushName, platform: dev.Platform})
	} else {
		s.me.Store(nil)
	}
	cli := whatsmeow.NewClient(dev, walog.New(s.log, "whatsmeow"))
	cli.SynchronousAck = true
	// WhatsApp redelivers a message our handler failed on (it was never
	// acked), but the Signal session has moved on: without the buffered
	// plaintext the redelivery would be dropped as an old counter.
	cli.EnableDecryptedEventBuffer = true
	cli.EnableAutoReconnect = true
	cli.AutoTrustIdentity = true
	cli.AddEventHandlerWithSuccessStatus(func(evt any) bool {
		if s.cli() != cli {
			return true // ignore: a replaced client's last events
		}
		s.m.inFlight.Add(1)
		defer s.m.inFlight.Add(-1)
		return s.handle(evt)
	})
	if err := s.applyProxy(ctx, cli, s.def.Proxy); err != nil {
		return err
	}
	if s.m.cfg.Configure != nil {
		s.m.cfg.Configure(cli)
	}
	s.clientLock.Lock()
	old, cancelQR := s.client, s.qrCancel
	s.client, s.qrCancel = cli, nil
	s.clientLock.Unlock()
	if cancelQR != nil {
		cancelQR()
	}
	if old != nil {
		old.Disconnect()
	}
	return nil
}

// connect connects the client; an unpaired client first asks for QR codes.
func (s *session) connect(ctx context.Context) error {
	cli := s.cli()
	if cli.Store.ID == nil {
		qctx, cancel := context.WithCancel(s.ctx)
		ch, err := cli.GetQRChannel(qctx)
		if err != nil {
			cancel()
			return fmt.Errorf("qr channel: %w", err)
		}
		s.clientLock.Lock()
		s.qrCancel = cancel
		s.clientLock.Unlock()
		s.qrAttempt.Store(0)
		go s.watchQR(cli, ch)
	}
	_, span := s.m.tracer.Start(ctx, "whatsapp.Connect")
	defer span.End()
	if err := cli.Connect(); err != nil {
		span.RecordError(err)
		return fmt.Errorf("connect: %w", err)
	}
	return nil
}

// watchQR publishes each QR code until pairing succeeds or times out.
func (s *session) watchQR(cli *whatsmeow.Client, ch <-chan whatsmeow.QRChannelItem) {
	for item := range ch {
		if s.cli() != cli {
			continue // a replaced client's leftovers
		}
		switch item.Event {
		case whatsmeow.QRChannelEventCode:
			s.publishQR(item.Code, item.Timeout)
		case whatsmeow.QRChannelSuccess.Event:
			// PairSuccess and Connected events carry on.
		case whatsmeow.QRChannelTimeout.Event:
			s.lifecycle(control.StatusDisconnected, "QR code not scanned in time; restart the session", events.SessionDisconnected,
				events.SessionDisconnectedData{Reason: "qr timeout"})
		default:
			reason := item.Event
			if item.Error != nil {
				reason = item.Error.Error()
			}
			s.lifecycle(control.StatusDisconnected, "pairing failed: "+reason, events.SessionDisconnected,
				events.SessionDisconnectedData{Reason: reason})
		}
	}
}

func (s *session) publishQR(code string, valid time.Duration) {
	exp := time.Now().Add(valid).UTC()
	attempt := int(s.qrAttempt.Add(1))
	_ = s.setState(s.ctx, func(st *control.SessionState) {
		st.Status, st.QR, st.QRExpiresAt, st.Error = control.StatusQR, code, &exp, ""
	})
	if err := s.publish(s.ctx, events.SessionQR, "", events.DeriveID(s.id, "qr", code),
		events.SessionQRData{Code: code, ExpiresAt: exp, Attempt: attempt}); err != nil {
		s.log.Warn("publish qr", "err", err)
	}
}

// apply applies a changed definition to the running session.
func (s *session) apply(ctx context.Context, def control.Session, epoch uint64) error {
	s.epoch.Store(epoch)
	s.pacer.set(pacingOf(def, s.m.cfg.DefaultPacing))
	s.defLock.Lock()
	s.def = def
	seen := s.seen
	s.defLock.Unlock()
	switch {
	case def.Stopped:
		s.m.forget(s)
		s.shutdown(ctx, "stopped")
		return s.writeStopped(ctx)
	case def.Logout > seen.LogoutSeen:
		s.markSeen(ctx, def)
		if err := s.logout(ctx, "logout requested", false); err != nil {
			return err
		}
		return s.repair(ctx)
	case def.Restart > seen.RestartSeen:
		s.markSeen(ctx, def)
		s.log.Info("restart requested")
		if err := s.newClient(ctx); err != nil { // a fresh client: no stale QR emitter
			return err
		}
		return s.connect(ctx)
	}
	return nil
}

func (s *session) markSeen(ctx context.Context, def control.Session) {
	s.defLock.Lock()
	s.seen.LogoutSeen, s.seen.RestartSeen = def.Logout, def.Restart
	b := s.seen
	s.defLock.Unlock()
	if me := s.me.Load(); me != nil {
		b.JID = me.jid
	}
	if err := s.m.store.Bind(ctx, s.id, b); err != nil {
		s.log.Warn("record applied request", "err", err)
	}
}

// repair starts pairing again with a fresh device after a logout.
func (s *session) repair(ctx context.Context) error {
	if err := s.newClient(ctx); err != nil {
		return err
	}
	return s.connect(ctx)
}

// shutdown disconnects without logging out.
func (s *session) shutdown(ctx context.Context, reason string) {
	s.cancel()
	if cli := s.cli(); cli != nil {
		cli.Disconnect()
	}
	status := control.StatusDisconnected
	if reason == "stopped" {
		status = control.StatusStopped
	}
	s.lifecycleCtx(ctx, status, "", events.SessionDisconnected, events.SessionDisconnectedData{Reason: reason})
}

// logout unlinks the device at WhatsApp (when connected) and wipes it here.
func (s *session) logout(ctx context.Context, reason string, deleting bool) error {
	cli := s.cli()
	if cli != nil && cli.IsLoggedIn() && s.me.Load() != nil { // IsConnected races inside whatsmeow
		lctx, span := s.m.tracer.Start(ctx, "whatsapp.Logout")
		if err := cli.Logout(lctx); err != nil {
			s.log.Warn("logout at WhatsApp failed; wiping locally", "err", err)
		}
		span.End()
	}
	if cli != nil {
		cli.Disconnect()
	}
	var dev types.JID
	if me := s.me.Load(); me != nil {
		dev = me.jid
	}
	if deleting {
		if err := s.m.store.Wipe(ctx, s.id, dev); err != nil {
			return fmt.Errorf("wipe device: %w", err)
		}
		s.cancel()
		s.publishLifecycle(ctx, events.SessionLoggedOut, events.SessionLoggedOutData{Reason: reason})
		if err := s.m.states.Delete(ctx, s.id); err != nil {
			s.log.Warn("delete session state", "err", err)
		}
		return nil
	}
	if err := s.forgetDevice(ctx, dev); err != nil {
		return err
	}
	s.lifecycleCtx(ctx, control.StatusLoggedOut, reason, events.SessionLoggedOut, events.SessionLoggedOutData{Reason: reason})
	return nil
}

// forgetDevice wipes the device but keeps the applied request counters.
func (s *session) forgetDevice(ctx context.Context, dev types.JID) error {
	if err := s.m.store.Wipe(ctx, s.id, dev); err != nil {
		return fmt.Errorf("wipe device: %w", err)
	}
	s.me.Store(nil)
	s.defLock.Lock()
	s.seen.JID = types.EmptyJID
	b := s.seen
	s.defLock.Unlock()
	if err := s.m.store.Bind(ctx, s.id, b); err != nil {
		return fmt.Errorf("keep applied requests: %w", err)
	}
	return nil
}

// writeStopped records a stopped session that has no client.
func (s *session) writeStopped(ctx context.Context) error {
	return s.setState(ctx, func(st *control.SessionState) { st.Status, st.QR, st.QRExpiresAt = control.StatusStopped, "", nil })
}
