package wa

import (
	"context"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	waevents "go.mau.fi/whatsmeow/types/events"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/services/session/internal/devicestore"
	"github.com/wamesh/wamesh/services/session/internal/walog"
)

// orphanLogoutTimeout bounds logging out a device nobody runs any more.
const orphanLogoutTimeout = 20 * time.Second

// ClaimDevice makes the session's device binding belong to def (its tenant
// and CreatedAt) before Start loads the device. The cluster calls it before
// the first Start of a session on this pod. A device bound to another
// definition (another tenant, or an earlier session with the same id whose
// delete was missed) is never handed over: it is logged out at WhatsApp when
// possible and wiped, and the session pairs afresh.
func (m *Manager) ClaimDevice(ctx context.Context, def control.Session) error {
	owner := devicestore.Owner{Tenant: def.Tenant, CreatedAt: def.CreatedAt}
	if m.get(def.ID) == nil {
		if cur, ok, err := m.store.Claimed(ctx, def.ID); err != nil {
			return err
		} else if ok && !cur.OwnedBy(owner) && !cur.JID.IsEmpty() {
			m.logoutDevice(ctx, def.ID, cur.JID)
		}
	}
	res, old, err := m.store.Claim(ctx, def.ID, owner)
	if err != nil {
		return fmt.Errorf("claim device of %s: %w", def.ID, err)
	}
	if res == devicestore.ClaimRefused {
		m.log.Warn("device bound to another session definition refused; wiped, pairing a new one",
			"session", def.ID, "tenant", def.Tenant, "bound_tenant", old.Owner.Tenant,
			"bound_created", old.Owner.CreatedAt, "created", def.CreatedAt, "device", old.JID.String())
	}
	return nil
}

// Bindings lists the stored device bindings (the cluster sweeps those of
// deleted sessions).
func (m *Manager) Bindings(ctx context.Context) ([]devicestore.Claimed, error) {
	return m.store.Bindings(ctx)
}

// DeleteOrphan logs out (when possible) and wipes the device of a session
// that no longer exists, unless the binding changed since it was listed
// (the session id was re-created) or the session runs here.
func (m *Manager) DeleteOrphan(ctx context.Context, c devicestore.Claimed) error {
	if m.get(c.Session) != nil {
		return nil
	}
	if cur, ok, err := m.store.Claimed(ctx, c.Session); err != nil || !ok || cur != c {
		return err
	}
	if !c.JID.IsEmpty() {
		m.logoutDevice(ctx, c.Session, c.JID)
	}
	deleted, err := m.store.DeleteClaimed(ctx, c)
	if err != nil {
		return fmt.Errorf("delete orphaned device of %s: %w", c.Session, err)
	}
	if deleted {
		m.log.Info("orphaned device of a deleted session wiped", "session", c.Session,
			"tenant", c.Owner.Tenant, "device", c.JID.String())
		// Its media goes with it, as on a Delete seen live.
		if err := m.purgeMedia(ctx, c.Session); err != nil {
			return err
		}
	}
	return nil
}

// logoutDevice connects the stored device jid and unlinks it at WhatsApp;
// best effort (logged), bounded by orphanLogoutTimeout.
func (m *Manager) logoutDevice(ctx context.Context, session string, jid types.JID) {
	ctx, cancel := context.WithTimeout(ctx, orphanLogoutTimeout)
	defer cancel()
	dev, err := m.store.Container().GetDevice(ctx, jid)
	if err != nil || dev == nil {
		return
	}
	cli := whatsmeow.NewClient(dev, walog.New(m.log, "whatsmeow"))
	if m.cfg.Configure != nil {
		m.cfg.Configure(cli)
	}
	loggedIn := make(chan struct{})
	cli.AddEventHandler(func(evt any) {
		if _, ok := evt.(*waevents.Connected); ok {
			select {
			case <-loggedIn:
			default:
				close(loggedIn)
			}
		}
	})
	defer cli.Disconnect()
	if err := cli.Connect(); err != nil {
		m.log.Warn("logout of orphaned device: connect failed; wiping locally", "session", session, "device", jid.String(), "err", err)
		return
	}
	select {
	case <-loggedIn:
	case <-ctx.Done():
		m.log.Warn("logout of orphaned device: no login; wiping locally", "session", session, "device", jid.String())
		return
	}
	if err := cli.Logout(ctx); err != nil {
		m.log.Warn("logout of orphaned device failed; wiping locally", "session", session, "device", jid.String(), "err", err)
	}
}
