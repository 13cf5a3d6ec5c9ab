package waemu

import (
	"slices"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/types"
)

// Connection describes a live authenticated client connection.
type Connection struct {
	ConnID   uint64    `json:"connId"`
	Device   types.JID `json:"device"`
	Phone    string    `json:"phone"`
	Since    time.Time `json:"since"`
	PushName string    `json:"pushName,omitempty"` // as the client last announced it in a presence
}

// ActiveConnections returns the live authenticated connections, one per
// device at most (a newer login replaces an older one), sorted by device.
func (s *Server) ActiveConnections() []Connection {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	out := make([]Connection, 0, len(s.conns))
	for dev, c := range s.conns {
		conn := Connection{ConnID: c.id, Device: dev, Phone: "+" + dev.User, Since: c.since}
		if d := s.devices[dev]; d != nil {
			conn.PushName = d.pushName
		}
		out = append(out, conn)
	}
	slices.SortFunc(out, func(a, b Connection) int { return strings.Compare(a.Device.String(), b.Device.String()) })
	return out
}
