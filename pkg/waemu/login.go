package waemu

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// linkedDevice is a companion device (a whatsmeow client) linked to a phone.
type linkedDevice struct {
	jid         types.JID // PN AD JID, e.g. 15550000001:3@s.whatsapp.net
	lid         types.JID // LID AD JID
	phone       *Phone
	noisePub    []byte
	identityPub [32]byte
	regID       uint32
	signedPre   preKeyRecord
	preKeys     []preKeyRecord // uploaded, not yet handed out
	pushName    string
}

type preKeyRecord struct {
	id        uint32
	pub       [32]byte
	signature []byte
}

// startSession runs right after the handshake: pairing for a fresh client,
// login for a client with stored credentials.
func (s *Server) startSession(c *conn) error {
	if c.payload.Username == nil {
		return s.startRegistration(c)
	}
	return s.login(c)
}

func (s *Server) login(c *conn) error {
	jid := deviceJID(strconv.FormatUint(c.payload.GetUsername(), 10), types.DefaultUserServer, uint16(c.payload.GetDevice()))
	s.stateMu.Lock()
	dev := s.devices[jid]
	s.stateMu.Unlock()
	if dev == nil || !bytes.Equal(dev.noisePub, c.clientStatic) {
		_ = c.send(waBinary.Node{Tag: "failure", Attrs: waBinary.Attrs{"reason": "401", "location": "waemu"}})
		return fmt.Errorf("login %s: %w", jid, ErrNotFound)
	}
	if ban, ok := s.faults.banFor(jid.ToNonAD()); ok {
		_ = c.send(waBinary.Node{Tag: "failure", Attrs: waBinary.Attrs{
			"reason": "402", "code": strconv.Itoa(ban.code), "expire": strconv.Itoa(int(time.Until(ban.until).Seconds())),
		}})
		return fmt.Errorf("login %s: temporarily banned", jid)
	}
	c.stateMu.Lock()
	c.device = jid
	c.stateMu.Unlock()
	err := c.send(waBinary.Node{Tag: "success", Attrs: waBinary.Attrs{
		"t": strconv.FormatInt(time.Now().Unix(), 10), "lid": dev.lid,
		"props": "1", "abprops": "1", "location": "waemu", "creation": strconv.FormatInt(time.Now().Unix(), 10),
	}})
	if err != nil {
		return err
	}
	queued, err := s.takeOver(c, jid)
	if err != nil {
		return err
	}
	// Mark the end of the offline backlog (events.OfflineSyncCompleted).
	return c.send(waBinary.Node{Tag: "ib", Content: []waBinary.Node{
		{Tag: "offline", Attrs: waBinary.Attrs{"count": strconv.Itoa(queued)}},
	}})
}

// takeOver makes c the device's live connection, replaces an older one and
// flushes the offline queue. It holds c's write lock while flushing so that
// live deliveries cannot overtake queued ones (a msg before its pkmsg).
func (s *Server) takeOver(c *conn, jid types.JID) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	s.stateMu.Lock()
	old := s.conns[jid]
	s.conns[jid] = c
	queued := s.offline[jid]
	delete(s.offline, jid)
	s.stateMu.Unlock()
	if old != nil && old != c {
		go old.kick(streamError("", "replaced"))
	}
	for i, node := range queued {
		data, err := waBinary.Marshal(node)
		if err == nil {
			err = c.sendLocked(data)
		}
		if err == nil {
			c.sentMessage(node)
		}
		if err != nil {
			s.stateMu.Lock()
			s.offline[jid] = append(queued[i:], s.offline[jid]...)
			s.stateMu.Unlock()
			return i, fmt.Errorf("flush offline queue: %w", err)
		}
	}
	return len(queued), nil
}

func streamError(code, conflict string) waBinary.Node {
	node := waBinary.Node{Tag: "stream:error", Attrs: waBinary.Attrs{}}
	if code != "" {
		node.Attrs["code"] = code
	}
	if conflict != "" {
		node.Content = []waBinary.Node{{Tag: "conflict", Attrs: waBinary.Attrs{"type": conflict}}}
	}
	return node
}

// maxOfflineQueue bounds what is kept for a device that stays offline.
const maxOfflineQueue = 10000

// deliver sends node to a device now, or queues it until the device logs in.
func (s *Server) deliver(to types.JID, node waBinary.Node) {
	s.stateMu.Lock()
	c := s.conns[to]
	if c == nil {
		if _, ok := s.devices[to]; ok && len(s.offline[to]) < maxOfflineQueue {
			s.offline[to] = append(s.offline[to], node)
		}
		s.stateMu.Unlock()
		return
	}
	s.stateMu.Unlock()
	if err := c.send(node); err != nil {
		s.log.Debug("waemu: deliver", "to", to, "err", err)
		return
	}
	c.sentMessage(node)
}

// redeliver queues unacknowledged messages, in order, in front of the
// device's offline queue, or sends them on its current connection.
func (s *Server) redeliver(to types.JID, nodes []waBinary.Node) {
	if len(nodes) == 0 || to.IsEmpty() {
		return
	}
	s.stateMu.Lock()
	_, known := s.devices[to]
	c := s.conns[to]
	if c == nil {
		if known && len(s.offline[to])+len(nodes) <= maxOfflineQueue {
			s.offline[to] = append(slices.Clone(nodes), s.offline[to]...)
		}
		s.stateMu.Unlock()
		return
	}
	s.stateMu.Unlock()
	for _, node := range nodes {
		if err := c.send(node); err != nil {
			return
		}
		c.sentMessage(node)
	}
}

func be32(b []byte) uint32 {
	var buf [4]byte
	copy(buf[4-len(b):], b)
	return binary.BigEndian.Uint32(buf[:])
}
