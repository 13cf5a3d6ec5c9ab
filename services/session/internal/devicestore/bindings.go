package devicestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow/types"
)

var migrations = []string{
	`CREATE TABLE IF NOT EXISTS wamesh_session_devices (
		session      TEXT PRIMARY KEY,
		jid          TEXT NOT NULL DEFAULT '',
		logout_seen  BIGINT NOT NULL DEFAULT 0,
		restart_seen BIGINT NOT NULL DEFAULT 0,
		updated_at   BIGINT NOT NULL DEFAULT 0
	)`,
	`CREATE TABLE IF NOT EXISTS wamesh_executed_commands (
		session     TEXT NOT NULL,
		command_id  TEXT NOT NULL,
		result      TEXT NOT NULL DEFAULT '',
		executed_at BIGINT NOT NULL,
		PRIMARY KEY (session, command_id)
	)`,
	`CREATE INDEX IF NOT EXISTS wamesh_executed_commands_at ON wamesh_executed_commands (executed_at)`,
}

func (s *Store) migrate(ctx context.Context) error {
	for _, m := range migrations {
		if _, err := s.db.ExecContext(ctx, m); err != nil {
			return fmt.Errorf("migrate device store: %w", err)
		}
	}
	return nil
}

// Binding is what wamesh remembers about a session's device.
type Binding struct {
	JID         types.JID // device JID; empty until paired
	LogoutSeen  int64     // last control.Session.Logout applied
	RestartSeen int64     // last control.Session.Restart applied
}

// Binding returns the session's binding (zero when there is none).
func (s *Store) Binding(ctx context.Context, session string) (Binding, error) {
	var jid string
	var b Binding
	err := s.db.QueryRowContext(ctx,
		`SELECT jid, logout_seen, restart_seen FROM wamesh_session_devices WHERE session = $1`, session,
	).Scan(&jid, &b.LogoutSeen, &b.RestartSeen)
	if errors.Is(err, sql.ErrNoRows) {
		return Binding{}, nil
	}
	if err != nil {
		return Binding{}, fmt.Errorf("read session device: %w", err)
	}
	b.JID = parseJID(jid)
	return b, nil
}

// Bind records the session's device JID and applied counters.
func (s *Store) Bind(ctx context.Context, session string, b Binding) error {
	jid := ""
	if !b.JID.IsEmpty() {
		jid = b.JID.String()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO wamesh_session_devices (session, jid, logout_seen, restart_seen, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (session) DO UPDATE SET jid = excluded.jid, logout_seen = excluded.logout_seen,
			restart_seen = excluded.restart_seen, updated_at = excluded.updated_at`,
		session, jid, b.LogoutSeen, b.RestartSeen, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("bind session device: %w", err)
	}
	return nil
}

// Unbind forgets the session's device and executed commands.
func (s *Store) Unbind(ctx context.Context, session string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM wamesh_session_devices WHERE session = $1`, session); err != nil {
		return fmt.Errorf("unbind session device: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM wamesh_executed_commands WHERE session = $1`, session); err != nil {
		return fmt.Errorf("forget executed commands: %w", err)
	}
	return nil
}

// Executed returns the stored result of a command the session already ran.
func (s *Store) Executed(ctx context.Context, session, commandID string) (result string, ok bool, err error) {
	err = s.db.QueryRowContext(ctx,
		`SELECT result FROM wamesh_executed_commands WHERE session = $1 AND command_id = $2`, session, commandID,
	).Scan(&result)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read executed command: %w", err)
	}
	return result, true, nil
}

// MarkExecuted records that the session ran a command, with its result.
func (s *Store) MarkExecuted(ctx context.Context, session, commandID, result string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO wamesh_executed_commands (session, command_id, result, executed_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (session, command_id) DO NOTHING`,
		session, commandID, result, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("mark command executed: %w", err)
	}
	return nil
}

// ForgetExecutedBefore drops idempotency records older than t.
func (s *Store) ForgetExecutedBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM wamesh_executed_commands WHERE executed_at < $1`, t.Unix())
	if err != nil {
		return 0, fmt.Errorf("forget executed commands: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
