package waemu

import (
	"fmt"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// handleRemoveCompanion handles a client logging itself out.
func (s *Server) handleRemoveCompanion(c *conn, node *waBinary.Node) ([]waBinary.Node, *iqError) {
	jid, ok := node.GetChildByTag("remove-companion-device").Attrs["jid"].(types.JID)
	if !ok || jid != c.deviceJID() {
		return nil, errIQForbidden
	}
	s.forgetDevice(jid)
	return nil, nil
}

func (s *Server) forgetDevice(jid types.JID) *linkedDevice {
	s.stateMu.Lock()
	dev := s.devices[jid]
	delete(s.devices, jid)
	delete(s.offline, jid)
	s.stateMu.Unlock()
	if dev != nil {
		dev.phone.removeDevice(jid)
		s.notifyDevicesChanged(dev.phone)
	}
	return dev
}

// Unlink removes a linked device as "Log out" in the phone's linked-devices
// screen does: a connected client gets 401 device_removed (events.LoggedOut),
// a disconnected one fails its next login with 401.
func (p *Phone) Unlink(device types.JID) error {
	s := p.srv
	if dev := s.forgetDevice(device); dev == nil || dev.phone != p {
		return fmt.Errorf("device %s: %w", device, ErrNotFound)
	}
	s.stateMu.Lock()
	c := s.conns[device]
	s.stateMu.Unlock()
	if c != nil {
		c.kick(streamError("401", "device_removed"))
	}
	return nil
}
