package waemu

import (
	"net/http"

	waBinary "go.mau.fi/whatsmeow/binary"
)

type codePairing struct{}
type mediaBlob struct{}

func (s *Server) handleLinkCode(*conn, *waBinary.Node) ([]waBinary.Node, *iqError) {
	return nil, errIQUnhandled
}
func (s *Server) handleMediaConn(*conn, *waBinary.Node) ([]waBinary.Node, *iqError) {
	return nil, errIQUnhandled
}
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request)   {}
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {}
