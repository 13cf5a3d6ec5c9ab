package waemu

import (
	waBinary "go.mau.fi/whatsmeow/binary"
)

// notifyDevicesChanged tells every online client that p's device list
// changed, so clients drop their cached list and fetch it again before the
// next message (otherwise a newly linked device would never be encrypted for).
func (s *Server) notifyDevicesChanged(p *Phone) {
	for _, q := range s.Phones() {
		for _, dev := range q.Devices() {
			s.deliverIfOnline(dev, waBinary.Node{Tag: "notification", Attrs: waBinary.Attrs{
				"from": p.jid, "lid": p.lid, "type": "devices", "id": s.nextID(), "t": unixNow(),
			}, Content: []waBinary.Node{{Tag: "update", Attrs: waBinary.Attrs{"hash": unixNow()}}}})
		}
	}
}
