package waemu

import (
	waBinary "go.mau.fi/whatsmeow/binary"
)

type codePairing struct{}

func (s *Server) handleLinkCode(*conn, *waBinary.Node) ([]waBinary.Node, *iqError) {
	return nil, errIQUnhandled
}
