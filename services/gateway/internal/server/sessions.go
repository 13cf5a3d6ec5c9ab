package server

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/services/gateway/api"
)

// sessionView is a session with its live state.
type sessionView struct {
	control.Session
	Status   string `json:"status"`
	JID      string `json:"jid,omitempty"`
	Phone    string `json:"phone,omitempty"`
	PushName string `json:"pushName,omitempty"`
	Error    string `json:"error,omitempty"`
}

func (s *Server) view(sess control.Session) sessionView {
	v := sessionView{Session: sess, Status: "unknown"}
	v.Proxy = maskProxy(sess.Proxy)
	if st, ok := s.states.Get(sess.ID); ok && st.Tenant == sess.Tenant {
		v.Status, v.JID, v.Phone, v.PushName, v.Error = st.Status, st.JID, st.Phone, st.PushName, st.Error
	}
	return v
}

type inlineWebhook struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

type sessionCreate struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Metadata map[string]string `json:"metadata"`
	Pacing   control.Pacing    `json:"pacing"`
	Proxy    string            `json:"proxy"`
	Webhooks []inlineWebhook   `json:"webhooks"`
}

// CreateSession defines a session; the owner picks it up from KV.
func (s *Server) CreateSession(c echo.Context) error {
	p := principalOf(c)
	var in sessionCreate
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.ID == "" {
		in.ID = ids.New("ses")
	}
	if in.ID == events.TenantLevel {
		// "_" is the session token of tenant-level events in subjects.
		return problem(http.StatusUnprocessableEntity, "VALIDATION_FAILED", `session id "_" is reserved`)
	}
	t, _ := s.tenants.Get(p.Tenant)
	if t.MaxSessions > 0 && s.countSessions(p.Tenant) >= t.MaxSessions {
		return errQuotaExceeded // the cheap check; reserveSession is the exact one
	}
	if err := s.checkProxy(c.Request().Context(), in.Proxy); err != nil {
		return err
	}
	hooks, err := s.inlineWebhooks(c.Request().Context(), p.Tenant, in.ID, in.Webhooks)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	sess := control.Session{ID: in.ID, Tenant: p.Tenant, Name: in.Name, Metadata: in.Metadata, Pacing: in.Pacing,
		Proxy: in.Proxy, CreatedAt: now, UpdatedAt: now}
	ctx, cancel := writeCtx(c)
	defer cancel()
	reserved := false
	if t.MaxSessions > 0 {
		if reserved, err = s.reserveSession(ctx, p.Tenant, sess.ID, t.MaxSessions); err != nil {
			return err
		}
	}
	rev, err := control.Create(ctx, s.kv.sessions, sess.ID, sess)
	if err != nil && reserved {
		s.releaseSession(context.WithoutCancel(ctx), p.Tenant, sess.ID)
	}
	if isKeyExists(err) {
		return problem(http.StatusConflict, "CONFLICT", "session id is not available")
	}
	if err != nil {
		return err
	}
	for _, h := range hooks {
		hrev, err := control.Put(ctx, s.kv.webhooks, h.ID, h)
		if err != nil {
			return err
		}
		// Like a webhook create: visible to the caller's next request.
		if err := s.webhooks.waitRev(ctx, h.ID, hrev); err != nil {
			return err
		}
	}
	if err := s.sessions.waitRev(ctx, sess.ID, rev); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.view(sess))
}

func (s *Server) countSessions(tenant string) int {
	return len(s.sessions.All(func(_ string, v control.Session) bool { return v.Tenant == tenant }))
}

func (s *Server) inlineWebhooks(ctx context.Context, tenant, session string, in []inlineWebhook) ([]control.Webhook, error) {
	out := make([]control.Webhook, 0, len(in))
	for _, h := range in {
		w, err := s.newWebhook(ctx, tenant, webhookInput{URL: &h.URL, Events: &h.Events})
		if err != nil {
			return nil, err
		}
		w.Sessions = []string{session}
		out = append(out, w)
	}
	return out, nil
}

// ListSessions lists the tenant's sessions with live state.
func (s *Server) ListSessions(c echo.Context) error {
	p := principalOf(c)
	all := s.sessions.All(func(_ string, v control.Session) bool {
		return v.Tenant == p.Tenant && (p.Session == "" || v.ID == p.Session)
	})
	out := make([]sessionView, 0, len(all))
	for _, v := range all {
		out = append(out, s.view(v))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// GetSession returns one session with live state.
func (s *Server) GetSession(c echo.Context, id api.SessionParam) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.view(sess))
}

type sessionUpdate struct {
	Name     *string            `json:"name"`
	Metadata *map[string]string `json:"metadata"`
	Pacing   *control.Pacing    `json:"pacing"`
	Proxy    *string            `json:"proxy"`
	Stopped  *bool              `json:"stopped"`
}

// UpdateSession patches a session definition.
func (s *Server) UpdateSession(c echo.Context, id api.SessionParam) error {
	if _, err := s.session(c, id); err != nil {
		return err
	}
	var in sessionUpdate
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.checkProxy(c.Request().Context(), deref(in.Proxy)); err != nil {
		return err
	}
	sess, err := s.mutateSession(c, id, func(v *control.Session) {
		v.Name = ptrOr(in.Name, v.Name)
		v.Metadata = ptrOr(in.Metadata, v.Metadata)
		v.Pacing = ptrOr(in.Pacing, v.Pacing)
		v.Proxy = ptrOr(in.Proxy, v.Proxy)
		v.Stopped = ptrOr(in.Stopped, v.Stopped)
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.view(sess))
}

// mutateSession applies fn with compare-and-swap and waits for the cache.
func (s *Server) mutateSession(c echo.Context, id string, fn func(*control.Session)) (control.Session, error) {
	ctx, cancel := writeCtx(c)
	defer cancel()
	for attempt := 0; ; attempt++ {
		sess, rev, err := control.Get[control.Session](ctx, s.kv.sessions, id)
		if err == control.ErrNotFound {
			return sess, errSessionNotFound
		}
		if err != nil {
			return sess, err
		}
		fn(&sess)
		sess.UpdatedAt = time.Now().UTC()
		nrev, err := control.Update(ctx, s.kv.sessions, id, sess, rev)
		if err != nil && attempt < 3 {
			continue
		}
		if err != nil {
			return sess, problem(http.StatusConflict, "CONFLICT", "session changed concurrently; retry")
		}
		return sess, s.sessions.waitRev(ctx, id, nrev)
	}
}

// DeleteSession removes the definition; the owner logs the device out.
func (s *Server) DeleteSession(c echo.Context, id api.SessionParam) error {
	if _, err := s.session(c, id); err != nil {
		return err
	}
	ctx, cancel := writeCtx(c)
	defer cancel()
	if err := s.kv.sessions.Delete(ctx, id); err != nil {
		return err
	}
	if err := s.sessions.waitGone(ctx, id); err != nil {
		return err
	}
	s.releaseSession(ctx, principalOf(c).Tenant, id)
	s.deleteSessionWebhooks(ctx, principalOf(c).Tenant, id)
	return c.NoContent(http.StatusNoContent)
}

// deleteSessionWebhooks removes the webhooks that only served a deleted
// session (its inline webhooks); failures are logged, the session is gone.
func (s *Server) deleteSessionWebhooks(ctx context.Context, tenant, session string) {
	only := s.webhooks.All(func(_ string, w control.Webhook) bool {
		return w.Tenant == tenant && len(w.Sessions) == 1 && w.Sessions[0] == session
	})
	for id := range only {
		if err := s.kv.webhooks.Delete(ctx, id); err != nil {
			s.log.WarnContext(ctx, "delete webhook of a deleted session", "webhook", id, "session", session, "err", err)
		}
	}
}

// RestartSession bumps Session.Restart; the owner reconnects.
func (s *Server) RestartSession(c echo.Context, id api.SessionParam) error {
	if _, err := s.session(c, id); err != nil {
		return err
	}
	sess, err := s.mutateSession(c, id, func(v *control.Session) { v.Restart++; v.Stopped = false })
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, s.view(sess))
}

// LogoutSession bumps Session.Logout; the owner unlinks the device.
func (s *Server) LogoutSession(c echo.Context, id api.SessionParam) error {
	if _, err := s.session(c, id); err != nil {
		return err
	}
	sess, err := s.mutateSession(c, id, func(v *control.Session) { v.Logout++ })
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, s.view(sess))
}
