package waemu

import (
	"net/http"
	"sync"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// faults holds the failure modes a test switched on.
type faults struct {
	// mu guards every field below.
	mu          sync.Mutex
	ackDelay    time.Duration
	withholdAck bool
	mediaStatus int
	bans        map[types.JID]banInfo
}

type banInfo struct {
	code  int
	until time.Time
}

func (f *faults) ackMessage(c *conn, ack waBinary.Node) {
	f.mu.Lock()
	delay, withhold := f.ackDelay, f.withholdAck
	f.mu.Unlock()
	if withhold {
		return
	}
	if delay <= 0 {
		_ = c.send(ack)
		return
	}
	time.AfterFunc(delay, func() { _ = c.send(ack) })
}

func (f *faults) banFor(user types.JID) (banInfo, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.bans[user]
	if !ok || time.Now().After(b.until) {
		return banInfo{}, false
	}
	return b, true
}

func (f *faults) mediaFailure() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mediaStatus
}

// DelayAcks delays the server ack of every client message by d (0 restores).
func (s *Server) DelayAcks(d time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.ackDelay = d
}

// WithholdAcks stops (true) or resumes (false) acking client messages.
func (s *Server) WithholdAcks(withhold bool) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.withholdAck = withhold
}

// FailMedia makes media uploads and downloads answer status (e.g. 503);
// 0 restores normal service.
func (s *Server) FailMedia(status int) {
	if status != 0 && (status < 400 || status > 599) {
		status = http.StatusServiceUnavailable
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.mediaStatus = status
}

// DropConnection closes a device's connection abruptly, as a network failure
// would; the client reconnects on its own. It reports whether one was open.
func (s *Server) DropConnection(device types.JID) bool {
	s.stateMu.Lock()
	c := s.conns[device]
	s.stateMu.Unlock()
	if c == nil {
		return false
	}
	c.close()
	return true
}

// KickReplaced sends <conflict type="replaced"> to a device's connection and
// closes it, as when another client takes over the session.
func (s *Server) KickReplaced(device types.JID) bool {
	s.stateMu.Lock()
	c := s.conns[device]
	s.stateMu.Unlock()
	if c == nil {
		return false
	}
	c.kick(streamError("", "replaced"))
	return true
}

// TempBan bans an account's devices from logging in until d has passed:
// connected devices are dropped and their next login fails with 402.
func (s *Server) TempBan(user types.JID, code int, d time.Duration) {
	user = user.ToNonAD()
	s.faults.mu.Lock()
	if s.faults.bans == nil {
		s.faults.bans = map[types.JID]banInfo{}
	}
	s.faults.bans[user] = banInfo{code: code, until: time.Now().Add(d)}
	s.faults.mu.Unlock()
	if p := s.phoneForUser(user); p != nil {
		for _, dev := range p.Devices() {
			s.DropConnection(dev)
		}
	}
}

// LiftBan removes a temporary ban.
func (s *Server) LiftBan(user types.JID) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	delete(s.faults.bans, user.ToNonAD())
}
