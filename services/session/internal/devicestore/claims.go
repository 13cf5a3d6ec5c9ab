package devicestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow/types"
)

// Owner is the session definition a device binding belongs to. A session id
// can be deleted and created again, by another tenant too: the binding is
// only valid for the definition (tenant and creation time) that paired it.
type Owner struct {
	Tenant    string
	CreatedAt time.Time
}

func (o Owner) created() int64 { return o.CreatedAt.UnixMicro() }

// Claimed is one stored binding with its owner (see Bindings).
type Claimed struct {
	Session string
	Owner   Owner
	JID     types.JID // empty when not paired
	legacy  bool      // written before owners were recorded
}

// ClaimResult says what Claim did.
type ClaimResult int

// Claim outcomes.
const (
	ClaimKept    ClaimResult = iota // the binding already belonged to this owner
	ClaimNew                        // no binding (or a pre-owner one) existed; now this owner's
	ClaimRefused                    // the binding belonged to another owner: its device was wiped
)

// Claim makes the session's binding belong to owner before the session's
// device is loaded. A binding of another owner (another tenant, or an
// earlier session with the same id) is refused: its device keys, binding and
// executed commands are wiped, so the caller pairs a fresh device and the new
// owner's command ids can never replay the old owner's results. refused
// carries the wiped binding (its device may still be linked at WhatsApp).
// A binding written before owners were recorded is adopted.
func (s *Store) Claim(ctx context.Context, session string, owner Owner) (ClaimResult, Claimed, error) {
	cur, ok, err := s.claimed(ctx, session)
	if err != nil {
		return 0, Claimed{}, err
	}
	switch {
	case ok && !cur.legacy && cur.OwnedBy(owner):
		return ClaimKept, cur, nil
	case ok && cur.legacy:
		_, err := s.db.ExecContext(ctx, `UPDATE wamesh_session_devices SET tenant = $2, created_at = $3
			WHERE session = $1 AND tenant = '' AND created_at = 0`, session, owner.Tenant, owner.created())
		if err != nil {
			return 0, Claimed{}, fmt.Errorf("adopt session device: %w", err)
		}
		return ClaimNew, cur, nil
	case ok:
		if _, err := s.DeleteClaimed(ctx, cur); err != nil {
			return 0, Claimed{}, err
		}
	}
	if err := s.forgetExecuted(ctx, session); err != nil {
		return 0, Claimed{}, err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO wamesh_session_devices (session, tenant, created_at, updated_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (session) DO NOTHING`, session, owner.Tenant, owner.created(), time.Now().Unix())
	if err != nil {
		return 0, Claimed{}, fmt.Errorf("claim session device: %w", err)
	}
	if ok {
		return ClaimRefused, cur, nil
	}
	return ClaimNew, Claimed{}, nil
}

// Bindings lists every stored binding with its owner.
func (s *Store) Bindings(ctx context.Context) ([]Claimed, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT session, jid, tenant, created_at FROM wamesh_session_devices`)
	if err != nil {
		return nil, fmt.Errorf("list session devices: %w", err)
	}
	defer rows.Close()
	var out []Claimed
	for rows.Next() {
		c, err := scanClaimed(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list session devices: %w", err)
	}
	return out, nil
}

// DeleteClaimed deletes binding c (device keys, binding, executed commands)
// only if it is still stored as read: a session re-created meanwhile has
// claimed a new binding, which is left alone. It reports whether c was
// deleted.
func (s *Store) DeleteClaimed(ctx context.Context, c Claimed) (bool, error) {
	jid := ""
	if !c.JID.IsEmpty() {
		jid = c.JID.String()
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM wamesh_session_devices
		WHERE session = $1 AND jid = $2 AND tenant = $3 AND created_at = $4`,
		c.Session, jid, c.Owner.Tenant, c.storedCreated())
	if err != nil {
		return false, fmt.Errorf("delete session device: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if err := s.deleteDevice(ctx, c.JID); err != nil {
		return true, err
	}
	return true, s.forgetExecuted(ctx, c.Session)
}

func (c Claimed) storedCreated() int64 {
	if c.legacy {
		return 0
	}
	return c.Owner.created()
}

func (s *Store) claimed(ctx context.Context, session string) (Claimed, bool, error) {
	c, err := scanClaimed(s.db.QueryRowContext(ctx,
		`SELECT session, jid, tenant, created_at FROM wamesh_session_devices WHERE session = $1`, session))
	if errors.Is(err, sql.ErrNoRows) {
		return Claimed{}, false, nil
	}
	return c, err == nil, err
}

type scanner interface{ Scan(dest ...any) error }

func scanClaimed(r scanner) (Claimed, error) {
	var c Claimed
	var jid string
	var created int64
	if err := r.Scan(&c.Session, &jid, &c.Owner.Tenant, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Claimed{}, err
		}
		return Claimed{}, fmt.Errorf("read session device: %w", err)
	}
	c.JID = parseJID(jid)
	c.legacy = c.Owner.Tenant == "" && created == 0
	if !c.legacy {
		c.Owner.CreatedAt = time.UnixMicro(created).UTC()
	}
	return c, nil
}

func (s *Store) deleteDevice(ctx context.Context, jid types.JID) error {
	if jid.IsEmpty() {
		return nil
	}
	d, err := s.container.GetDevice(ctx, jid)
	if err != nil {
		return fmt.Errorf("load device: %w", err)
	}
	if d == nil {
		return nil
	}
	if err := s.container.DeleteDevice(ctx, d); err != nil {
		return fmt.Errorf("delete device: %w", err)
	}
	return nil
}

func (s *Store) forgetExecuted(ctx context.Context, session string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM wamesh_executed_commands WHERE session = $1`, session); err != nil {
		return fmt.Errorf("forget executed commands: %w", err)
	}
	return nil
}

// Claimed returns the session's binding with its owner; ok is false when
// there is none.
func (s *Store) Claimed(ctx context.Context, session string) (c Claimed, ok bool, err error) {
	return s.claimed(ctx, session)
}

// OwnedBy reports whether the binding belongs to owner. A binding written
// before owners were recorded belongs to whoever claims it first.
func (c Claimed) OwnedBy(o Owner) bool {
	return c.legacy || (c.Owner.Tenant == o.Tenant && c.Owner.created() == o.created())
}
