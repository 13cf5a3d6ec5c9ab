package wa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
)

// stateWriteAttempts bounds compare-and-swap retries of a state write.
const stateWriteAttempts = 5

// setState applies mutate to the session's state and stores it in
// wamesh_session_state with this pod's epoch. The write is a
// compare-and-swap on the KV revision and is refused with ErrFenced when the
// stored state carries a newer epoch.
func (s *session) setState(ctx context.Context, mutate func(*control.SessionState)) error {
	s.stateLock.Lock()
	defer s.stateLock.Unlock()
	next := s.state
	mutate(&next)
	next.Session, next.Tenant, next.Owner = s.id, s.tenant, s.m.cfg.PodID
	next.Epoch = s.epoch.Load()
	next.UpdatedAt = time.Now().UTC()
	if next.Status != control.StatusQR {
		next.QR, next.QRExpiresAt = "", nil
	}
	body, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	for range stateWriteAttempts {
		err = s.casState(ctx, next.Epoch, body)
		if err == nil {
			s.state = next
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongSequence(err) {
			break
		}
	}
	if errors.Is(err, ErrFenced) {
		s.log.Warn("state write refused: a newer owner wrote it", "epoch", next.Epoch)
	} else {
		s.log.Warn("state write failed", "status", next.Status, "err", err)
	}
	return err
}

func (s *session) casState(ctx context.Context, epoch uint64, body []byte) error {
	e, err := s.m.states.Get(ctx, s.id)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		_, err = s.m.states.Create(ctx, s.id, body)
		return err
	case err != nil:
		return fmt.Errorf("read state: %w", err)
	}
	var stored control.SessionState
	if json.Unmarshal(e.Value(), &stored) == nil && stored.Epoch > epoch {
		return fmt.Errorf("%w: stored %d, ours %d", ErrFenced, stored.Epoch, epoch)
	}
	_, err = s.m.states.Update(ctx, s.id, body, e.Revision())
	return err
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// State returns the last state this pod wrote.
func (s *session) State() control.SessionState {
	s.stateLock.Lock()
	defer s.stateLock.Unlock()
	return s.state
}

// lifecycle records a status and publishes the matching session.* event.
func (s *session) lifecycle(status, errText string, t events.Type, data any) {
	s.lifecycleCtx(s.ctx, status, errText, t, data)
}

func (s *session) lifecycleCtx(ctx context.Context, status, errText string, t events.Type, data any) {
	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	_ = s.setState(ctx, func(st *control.SessionState) { st.Status, st.Error = status, errText })
	s.publishLifecycle(ctx, t, data)
}

func (s *session) publishLifecycle(ctx context.Context, t events.Type, data any) {
	if err := s.publish(ctx, t, "", "", data); err != nil {
		s.log.Warn("publish lifecycle event", "type", t, "err", err)
	}
}

// publish builds and stores one event of this session; id "" = random.
func (s *session) publish(ctx context.Context, t events.Type, subject, id string, data any) error {
	e, err := events.New(ctx, t, events.Meta{Tenant: s.tenant, Session: s.id, Subject: subject, ID: id}, data)
	if err != nil {
		return err
	}
	return s.publishEvent(ctx, e)
}

func (s *session) publishEvent(ctx context.Context, e events.Event) error {
	if _, err := events.Publish(ctx, s.m.cfg.JetStream, e); err != nil {
		s.m.metrics.published(ctx, e.EventType(), false)
		return err
	}
	s.m.metrics.published(ctx, e.EventType(), true)
	return nil
}
