package waemu

import (
	"context"
	"net/http"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
)

type codePairing struct{}
type group struct{}
type mediaBlob struct{}

func (s *Server) handleLinkCode(*conn, *waBinary.Node) ([]waBinary.Node, *iqError) {
	return nil, errIQUnhandled
}
func (s *Server) handleMediaConn(*conn, *waBinary.Node) ([]waBinary.Node, *iqError) {
	return nil, errIQUnhandled
}
func (s *Server) handleGroupIQ(*conn, *waBinary.Node) ([]waBinary.Node, *iqError) {
	return nil, errIQUnhandled
}
func (s *Server) routeGroupMessage(c *conn, m outgoing, node *waBinary.Node) {}
func (p *Phone) sendGroup(ctx context.Context, to types.JID, id string, now time.Time, msg *waE2E.Message, plaintext []byte) error {
	return nil
}
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request)   {}
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {}
