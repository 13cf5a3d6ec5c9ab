// Package wa is the WhatsApp half of the session service: a Manager owns one
// whatsmeow client per running session, drives its lifecycle (pairing, QR,
// reconnect, logout), executes its commands and RPCs, and publishes what
// WhatsApp reports as wamesh events. It implements engine.Sessions.
package wa

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tnoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/ssrf"
	"github.com/wamesh/wamesh/services/session/internal/devicestore"
	"github.com/wamesh/wamesh/services/session/internal/engine"
)

var _ engine.Sessions = (*Manager)(nil)

// ManagerConfig configures a Manager. NATS, JetStream, DeviceStore and PodID
// are required; everything else has a working default.
type ManagerConfig struct {
	NATS      *nats.Conn          // core connection
	JetStream jetstream.JetStream // events are published here
	// States is the wamesh_session_state bucket; nil opens it by name.
	States jetstream.KeyValue
	// Media is the wamesh_media object store; nil opens it by name.
	Media jetstream.ObjectStore

	Logger *slog.Logger // nil = discard
	Meter  metric.Meter // nil = no metrics
	Tracer trace.Tracer // nil = no spans
	PodID  string       // written as SessionState.Owner
	// DeviceStore is a postgres:// URL or a SQLite path (file or directory).
	DeviceStore string

	// HandleTimeout bounds making one WhatsApp event durable (0 = 30s);
	// past it the event is not acked and WhatsApp delivers it again.
	HandleTimeout time.Duration

	// DefaultPacing applies when a session's own Pacing is zero.
	DefaultPacing control.Pacing
	// Configure, when set, is called on every new whatsmeow client before it
	// connects (sandbox/test mode: point it at the emulator).
	Configure func(*whatsmeow.Client)
	// MediaHTTPClient fetches outgoing media given by URL; nil builds one
	// whose dialer enforces SSRF.
	MediaHTTPClient *http.Client
	// SSRF is the policy of the default MediaHTTPClient.
	SSRF ssrf.Policy
	// Download decides which incoming media are stored; zero = all types.
	Download MediaPolicy
	// MaxMediaBytes bounds fetched outgoing media; 0 = 64 MiB.
	MaxMediaBytes int64
	// CommandMemory is how long executed command ids are remembered; 0 = 24h.
	CommandMemory time.Duration
}

// Manager runs the whatsmeow clients of the sessions this pod owns.
type Manager struct {
	cfg     ManagerConfig
	log     *slog.Logger
	store   *devicestore.Store
	states  jetstream.KeyValue
	media   jetstream.ObjectStore
	tracer  trace.Tracer
	metrics *metrics
	fetch   *http.Client

	sessionsLock sync.Mutex
	sessions     map[string]*session

	handleTimeout time.Duration // bound of one WhatsApp event's publishing
	inFlight      atomic.Int64  // WhatsApp events being handled right now
}

// openTimeout bounds NewManager's I/O (device store migrations, NATS lookups).
const openTimeout = time.Minute

// NewManager opens the device store and the NATS resources.
func NewManager(cfg ManagerConfig) (*Manager, error) {
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	if cfg.NATS == nil || cfg.JetStream == nil || cfg.DeviceStore == "" || cfg.PodID == "" {
		return nil, errors.New("wa: NATS, JetStream, DeviceStore and PodID are required")
	}
	m := &Manager{cfg: cfg, log: cfg.Logger, tracer: cfg.Tracer, sessions: map[string]*session{}, fetch: cfg.MediaHTTPClient,
		handleTimeout: cmp.Or(cfg.HandleTimeout, handleTimeout)}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.tracer == nil {
		m.tracer = tnoop.NewTracerProvider().Tracer("wa")
	}
	if m.cfg.MaxMediaBytes == 0 {
		m.cfg.MaxMediaBytes = 64 << 20
	}
	if m.cfg.CommandMemory == 0 {
		m.cfg.CommandMemory = 24 * time.Hour
	}
	if m.fetch == nil {
		m.fetch = &http.Client{Transport: cfg.SSRF.Transport(ssrf.TransportOptions{}), Timeout: 2 * time.Minute}
	}
	if err := m.openResources(ctx); err != nil {
		return nil, err
	}
	meter := cfg.Meter
	if meter == nil {
		meter = noop.NewMeterProvider().Meter("wa")
	}
	var err error
	if m.metrics, err = newMetrics(meter, m); err != nil {
		return nil, err
	}
	if m.store, err = devicestore.Open(ctx, cfg.DeviceStore, m.log); err != nil {
		return nil, fmt.Errorf("open device store: %w", err)
	}
	if _, err := m.store.ForgetExecutedBefore(ctx, time.Now().Add(-m.cfg.CommandMemory)); err != nil {
		m.log.Warn("forget old command ids", "err", err)
	}
	return m, nil
}

func (m *Manager) openResources(ctx context.Context) error {
	var err error
	m.states, m.media = m.cfg.States, m.cfg.Media
	if m.states == nil {
		if m.states, err = m.cfg.JetStream.KeyValue(ctx, natsx.BucketSessionState); err != nil {
			return fmt.Errorf("open %s: %w", natsx.BucketSessionState, err)
		}
	}
	if m.media == nil {
		if m.media, err = m.cfg.JetStream.ObjectStore(ctx, natsx.ObjectStoreMedia); err != nil {
			return fmt.Errorf("open %s: %w", natsx.ObjectStoreMedia, err)
		}
	}
	return nil
}

// Close stops every session (without logging out) and closes the store.
func (m *Manager) Close() error {
	for _, id := range m.Running() {
		m.Stop(context.Background(), id, "shutdown")
	}
	return m.store.Close()
}

// Store exposes the device store (readiness checks).
func (m *Manager) Store() *devicestore.Store { return m.store }

// Running reports the sessions with a live client, sorted.
func (m *Manager) Running() []string {
	m.sessionsLock.Lock()
	out := make([]string, 0, len(m.sessions))
	for id := range m.sessions {
		out = append(out, id)
	}
	m.sessionsLock.Unlock()
	sort.Strings(out)
	return out
}

func (m *Manager) get(id string) *session {
	m.sessionsLock.Lock()
	defer m.sessionsLock.Unlock()
	return m.sessions[id]
}

// Start brings up a session's client or applies a changed definition.
func (m *Manager) Start(ctx context.Context, def control.Session, epoch uint64) error {
	if s := m.get(def.ID); s != nil {
		return s.apply(ctx, def, epoch)
	}
	s := newSession(m, def, epoch)
	if def.Stopped {
		return s.writeStopped(ctx)
	}
	m.sessionsLock.Lock()
	if other := m.sessions[def.ID]; other != nil { // lost a race with a concurrent Start
		m.sessionsLock.Unlock()
		return other.apply(ctx, def, epoch)
	}
	m.sessions[def.ID] = s
	m.sessionsLock.Unlock()
	if err := s.start(ctx); err != nil {
		m.forget(s)
		s.cancel() // ends a QR channel of the failed attempt
		if cli := s.cli(); cli != nil {
			cli.Disconnect()
		}
		return err
	}
	return nil
}

func (m *Manager) forget(s *session) {
	m.sessionsLock.Lock()
	if m.sessions[s.id] == s {
		delete(m.sessions, s.id)
	}
	m.sessionsLock.Unlock()
}

// Stop disconnects a session without logging it out.
func (m *Manager) Stop(ctx context.Context, id string, reason string) {
	s := m.get(id)
	if s == nil {
		return
	}
	m.forget(s)
	s.shutdown(ctx, reason)
}

// Delete logs the session out (when it can), wipes its device data and
// purges its media from wamesh_media. It is idempotent: the cluster retries
// a failed Delete, which then finds the session gone and wipes again.
func (m *Manager) Delete(ctx context.Context, id string) error {
	if s := m.get(id); s != nil {
		m.forget(s)
		if err := s.logout(ctx, "session deleted", true); err != nil {
			return err
		}
		return m.purgeMedia(ctx, id)
	}
	if err := m.store.Wipe(ctx, id, types.EmptyJID); err != nil {
		return fmt.Errorf("wipe %s: %w", id, err)
	}
	if err := m.states.Delete(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("delete state of %s: %w", id, err)
	}
	return m.purgeMedia(ctx, id)
}

// purgeMedia deletes every object of a session from the media store
// (named ids.MediaObject(tenant, session, media id)). Session ids are
// unique across tenants, so the tenant segment is not needed to find them.
func (m *Manager) purgeMedia(ctx context.Context, session string) error {
	list, err := m.media.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list media of %s: %w", session, err)
	}
	n := 0
	for _, o := range list {
		parts := strings.SplitN(o.Name, "/", 3)
		if len(parts) != 3 || parts[1] != session {
			continue
		}
		if err := m.media.Delete(ctx, o.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return fmt.Errorf("delete media %s: %w", o.Name, err)
		}
		n++
	}
	if n > 0 {
		m.log.Info("media of deleted session purged", "session", session, "objects", n)
	}
	return nil
}
