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

// addedColumns of wamesh_session_devices: the session definition the
// binding belongs to (tenant and CreatedAt, unix microseconds), so a device
// is never handed to another tenant or a re-created session with the same id.
var addedColumns = []struct{ name, def string }{
	{"tenant", "TEXT NOT NULL DEFAULT ''"},
	{"created_at", "BIGINT NOT NULL DEFAULT 0"},
}

func (s *Store) migrate(ctx context.Context) error {
	for _, m := range migrations {
		if _, err := s.db.ExecContext(ctx, m); err != nil {
			return fmt.Errorf("migrate device store: %w", err)
		}
	}
	for _, c := range addedColumns {
		if err := s.addColumn(ctx, "wamesh_session_devices", c.name, c.def); err != nil {
			return err
		}
	}
	return nil
}

// addColumn adds a column unless it exists (SQLite has no ADD COLUMN IF NOT EXISTS).
func (s *Store) addColumn(ctx context.Context, table, column, def string) error {
	var n int
	q := `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`
	if s.dialect != "postgres" {
		q = `SELECT COUNT(*) FROM pragma_table_info($1) WHERE name = $2`
	}
	if err := s.db.QueryRowContext(ctx, q, table, column).Scan(&n); err != nil {
		return fmt.Errorf("migrate device store: inspect %s: %w", table, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s ADD COLUMN %s %s`, table, column, def)); err != nil {
		return fmt.Errorf("migrate device store: add %s.%s: %w", table, column, err)
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

// Unbind forgets the session's device, applied counters and executed
// commands. The owner recorded by Claim stays: a re-paired device still
// belongs to the same session definition.
func (s *Store) Unbind(ctx context.Context, session string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE wamesh_session_devices SET jid = '', logout_seen = 0, restart_seen = 0, updated_at = $2
		WHERE session = $1`, session, time.Now().Unix()); err != nil {
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
