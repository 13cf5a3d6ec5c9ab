package waemu

import (
	waBinary "go.mau.fi/whatsmeow/binary"
)

// Account-level IQs the emulator accepts without modelling much state.

// handleBlocklist answers an empty block list (get) and accepts changes (set).
func handleBlocklist(*Server, *conn, *waBinary.Node) ([]waBinary.Node, *iqError) {
	return []waBinary.Node{{Tag: "list", Attrs: waBinary.Attrs{"dhash": "0"}}}, nil
}

// handlePrivacySet echoes the changed setting back.
func handlePrivacySet(_ *Server, _ *conn, node *waBinary.Node) ([]waBinary.Node, *iqError) {
	priv := node.GetChildByTag("privacy")
	return []waBinary.Node{{Tag: "privacy", Content: priv.GetChildren()}}, nil
}
