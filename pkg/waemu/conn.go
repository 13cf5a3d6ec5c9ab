package waemu

import (
	"bytes"
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waWa6"
	"go.mau.fi/whatsmeow/socket"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/util/keys"
	"google.golang.org/protobuf/proto"
)

// conn is one client websocket connection.
type conn struct {
	srv    *Server
	id     uint64
	ws     *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc

	// writeMu guards writeKey, writeCounter and writes to ws.
	writeMu      sync.Mutex
	writeKey     cipher.AEAD
	writeCounter uint32

	readKey      cipher.AEAD
	readCounter  uint32
	clientStatic []byte
	since        time.Time
	payload      *waWa6.ClientPayload

	// stateMu guards device, waiters and unacked.
	stateMu sync.Mutex
	device  types.JID
	kicked  bool
	waiters map[string]chan *waBinary.Node
	unacked []waBinary.Node // messages sent, not yet acked by the client
}

// sentMessage notes a message node written to c; it is delivered again on
// the device's next connection unless the client acknowledges it first
// (its receipt, or an ack), as WhatsApp does; whatsmeow with
// SynchronousAck sends the receipt only once its event handlers succeeded.
func (c *conn) sentMessage(node waBinary.Node) {
	if node.Tag != "message" {
		return
	}
	c.stateMu.Lock()
	c.unacked = append(c.unacked, node)
	c.stateMu.Unlock()
}

// acked drops an acknowledged message.
func (c *conn) acked(id string) {
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	c.unacked = slices.DeleteFunc(c.unacked, func(n waBinary.Node) bool { return n.Attrs["id"] == id })
}

func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		s.log.Debug("waemu: websocket accept", "err", err)
		return
	}
	ws.SetReadLimit(socket.FrameMaxSize + 16)
	c := &conn{srv: s, id: s.connSeq.Add(1), ws: ws, since: time.Now(), waiters: map[string]chan *waBinary.Node{}}
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	s.stateMu.Lock()
	s.allConns[c] = struct{}{}
	s.stateMu.Unlock()
	defer s.dropConn(c)
	if err := c.handshake(); err != nil {
		s.log.Debug("waemu: handshake", "conn", c.id, "err", err)
		return
	}
	if err := s.startSession(c); err != nil {
		s.log.Debug("waemu: start session", "conn", c.id, "err", err)
		c.linger()
		return
	}
	c.readLoop()
}

// readFrame reads one websocket message holding one frame.
func (c *conn) readFrame(first bool) ([]byte, error) {
	typ, data, err := c.ws.Read(c.ctx)
	if err != nil {
		return nil, fmt.Errorf("read websocket: %w", err)
	}
	if typ != websocket.MessageBinary {
		return nil, errors.New("unexpected text message")
	}
	if first {
		if !bytes.HasPrefix(data, socket.WAConnHeader) {
			return nil, errors.New("missing WA connection header")
		}
		data = data[len(socket.WAConnHeader):]
	}
	if len(data) < socket.FrameLengthSize {
		return nil, errors.New("short frame")
	}
	n := int(data[0])<<16 | int(data[1])<<8 | int(data[2])
	if len(data)-socket.FrameLengthSize != n {
		return nil, fmt.Errorf("frame length %d does not match message length %d", n, len(data)-3)
	}
	return data[socket.FrameLengthSize:], nil
}

// writeFrame sends exactly one frame in one websocket message.
func (c *conn) writeFrame(payload []byte) error {
	buf := make([]byte, socket.FrameLengthSize+len(payload))
	buf[0], buf[1], buf[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	copy(buf[3:], payload)
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageBinary, buf); err != nil {
		return fmt.Errorf("write websocket: %w", err)
	}
	return nil
}

func (c *conn) handshake() error {
	raw, err := c.readFrame(true)
	if err != nil {
		return err
	}
	var hello waWa6.HandshakeMessage
	if err := proto.Unmarshal(raw, &hello); err != nil {
		return fmt.Errorf("unmarshal client hello: %w", err)
	}
	clientEph := hello.GetClientHello().GetEphemeral()
	if len(clientEph) != 32 {
		return errors.New("bad client ephemeral")
	}
	ns, err := newNoiseState(socket.WAConnHeader)
	if err != nil {
		return err
	}
	eph := keys.NewKeyPair()
	ns.authenticate(clientEph)
	ns.authenticate(eph.Pub[:])
	if err := ns.mixDH(eph.Priv[:], clientEph); err != nil {
		return err
	}
	staticCT := ns.encrypt(c.srv.static.Pub[:])
	if err := ns.mixDH(c.srv.static.Priv[:], clientEph); err != nil {
		return err
	}
	certCT := ns.encrypt(c.srv.chain)
	out, err := proto.Marshal(&waWa6.HandshakeMessage{ServerHello: &waWa6.HandshakeMessage_ServerHello{
		Ephemeral: eph.Pub[:], Static: staticCT, Payload: certCT,
	}})
	if err != nil {
		return fmt.Errorf("marshal server hello: %w", err)
	}
	if err := c.writeFrame(out); err != nil {
		return err
	}
	if raw, err = c.readFrame(false); err != nil {
		return err
	}
	var finish waWa6.HandshakeMessage
	if err := proto.Unmarshal(raw, &finish); err != nil {
		return fmt.Errorf("unmarshal client finish: %w", err)
	}
	if c.clientStatic, err = ns.decrypt(finish.GetClientFinish().GetStatic()); err != nil {
		return err
	}
	if err := ns.mixDH(eph.Priv[:], c.clientStatic); err != nil {
		return err
	}
	payloadRaw, err := ns.decrypt(finish.GetClientFinish().GetPayload())
	if err != nil {
		return err
	}
	c.payload = &waWa6.ClientPayload{}
	if err := proto.Unmarshal(payloadRaw, c.payload); err != nil {
		return fmt.Errorf("unmarshal client payload: %w", err)
	}
	c.readKey, c.writeKey, err = ns.split()
	return err
}

// send marshals, encrypts and writes one node.
func (c *conn) send(node waBinary.Node) error {
	data, err := waBinary.Marshal(node)
	if err != nil {
		return fmt.Errorf("marshal node: %w", err)
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.sendLocked(data)
}

// sendLocked encrypts and writes marshalled node data; needs writeMu.
func (c *conn) sendLocked(data []byte) error {
	ct := c.writeKey.Seal(nil, noiseIV(c.writeCounter), data, nil)
	c.writeCounter++
	return c.writeFrame(ct)
}

// request sends an iq and waits for the client's answer.
func (c *conn) request(ctx context.Context, node waBinary.Node) (*waBinary.Node, error) {
	id, _ := node.Attrs["id"].(string)
	ch := make(chan *waBinary.Node, 1)
	c.stateMu.Lock()
	c.waiters[id] = ch
	c.stateMu.Unlock()
	defer func() {
		c.stateMu.Lock()
		delete(c.waiters, id)
		c.stateMu.Unlock()
	}()
	if err := c.send(node); err != nil {
		return nil, err
	}
	select {
	case resp := <-ch:
		return resp, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.ctx.Done():
		return nil, ErrConnectionClosed
	}
}

func (c *conn) readLoop() {
	for {
		ct, err := c.readFrame(false)
		if err != nil {
			return
		}
		data, err := c.readKey.Open(nil, noiseIV(c.readCounter), ct, nil)
		c.readCounter++
		if err != nil {
			c.srv.log.Debug("waemu: decrypt frame", "conn", c.id, "err", err)
			return
		}
		unpacked, err := waBinary.Unpack(data)
		if err != nil {
			continue
		}
		node, err := waBinary.Unmarshal(unpacked)
		if err != nil {
			continue
		}
		if c.srv.log.Enabled(c.ctx, slog.LevelDebug) {
			c.srv.log.Debug("waemu: recv", "conn", c.id, "node", node.XMLString())
		}
		if c.deliverResponse(node) {
			continue
		}
		c.srv.dispatch(c, node)
	}
}

func (c *conn) deliverResponse(node *waBinary.Node) bool {
	if node.Tag != "iq" {
		return false
	}
	typ, _ := node.Attrs["type"].(string)
	if typ != "result" && typ != "error" {
		return false
	}
	id, _ := node.Attrs["id"].(string)
	c.stateMu.Lock()
	ch, ok := c.waiters[id]
	c.stateMu.Unlock()
	if ok {
		select {
		case ch <- node:
		default: // a duplicate answer; the first one wins
		}
	}
	return true
}

func (c *conn) deviceJID() types.JID {
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	return c.device
}

// close drops the websocket without a close handshake, as a network failure would.
func (c *conn) close() {
	c.cancel()
	_ = c.ws.CloseNow()
}

// linger gives the client time to read the last frames and close the socket
// itself; closing at once can make the client drop frames it already got.
func (c *conn) linger() {
	ctx, cancel := context.WithTimeout(c.ctx, lingerTimeout)
	defer cancel()
	for {
		if _, _, err := c.ws.Read(ctx); err != nil {
			return
		}
	}
}

const lingerTimeout = 2 * time.Second

// kickCloseAfter is how long a kicked connection stays open for the client to
// close it itself. whatsmeow answers replaced/device_removed by waiting for
// the server to close, and its FrameSocket races (unsynchronised OnDisconnect
// and closed fields) when a server close meets a local Disconnect. Leaving
// the close to the client in the common case keeps -race runs of everything
// built on the emulator clean; the timer only reaps clients that never close.
const kickCloseAfter = 30 * time.Second

// kick sends a final stream error; the client closes the connection, or the
// server does after kickCloseAfter.
func (c *conn) kick(streamErr waBinary.Node) {
	c.stateMu.Lock()
	c.kicked = true
	dev := c.device
	c.stateMu.Unlock()
	c.srv.stateMu.Lock()
	if c.srv.conns[dev] == c {
		delete(c.srv.conns, dev)
	}
	c.srv.stateMu.Unlock()
	_ = c.send(streamErr)
	after := kickCloseAfter
	if streamErr.Attrs["code"] == "515" {
		after = lingerTimeout // the client reconnects at once and closes this socket itself
	}
	time.AfterFunc(after, c.close)
}

func (s *Server) dropConn(c *conn) {
	c.close()
	c.stateMu.Lock()
	unacked := c.unacked
	c.unacked = nil
	c.stateMu.Unlock()
	dev := c.deviceJID()
	s.stateMu.Lock()
	delete(s.allConns, c)
	for ref, rc := range s.pendingRefs {
		if rc == c {
			delete(s.pendingRefs, ref)
		}
	}
	if !dev.IsEmpty() && s.conns[dev] == c {
		delete(s.conns, dev)
	}
	s.stateMu.Unlock()
	// Unacknowledged messages go out again, first and in order, on the next
	// connection (or now, if the device already reconnected).
	s.redeliver(dev, unacked)
}
