package waemu

import (
	"fmt"
	"strconv"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waServerSync"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// App state ("syncd") storage: per account and collection, the server keeps
// the patches in order and stamps each with its version. It never decrypts
// them; the account's phone keeps the decrypted state (appsync_phone.go).

func appStateKey(account types.JID, name string) string { return account.User + "|" + name }

// appendPatch stores a patch built on top of version base and returns the
// stored bytes (with their version). It fails when base is not the latest.
func (s *Server) appendPatch(account types.JID, name string, base uint64, raw []byte) ([]byte, uint64, error) {
	var patch waServerSync.SyncdPatch
	if err := proto.Unmarshal(raw, &patch); err != nil {
		return nil, 0, fmt.Errorf("unmarshal patch: %w", ErrInvalid)
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	key := appStateKey(account, name)
	latest := uint64(len(s.appState[key]))
	if base != latest {
		return nil, latest, fmt.Errorf("app state %s at version %d, patch built on %d: %w", name, latest, base, ErrConflict)
	}
	patch.Version = &waServerSync.SyncdVersion{Version: proto.Uint64(latest + 1)}
	stored, err := proto.Marshal(&patch)
	if err != nil {
		return nil, 0, fmt.Errorf("marshal patch: %w", err)
	}
	s.appState[key] = append(s.appState[key], stored)
	return stored, latest + 1, nil
}

// patchesSince returns the patches after version from, and the latest version.
func (s *Server) patchesSince(account types.JID, name string, from uint64) ([][]byte, uint64) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	all := s.appState[appStateKey(account, name)]
	if from > uint64(len(all)) {
		from = uint64(len(all))
	}
	return append([][]byte(nil), all[from:]...), uint64(len(all))
}

// handleAppStateSync serves w:sync:app:state: fetching patches and
// accepting patches a client pushes.
func (s *Server) handleAppStateSync(c *conn, node *waBinary.Node) ([]waBinary.Node, *iqError) {
	dev := c.deviceJID()
	p := s.phoneForUser(dev)
	if p == nil {
		return nil, errIQForbidden
	}
	var out []waBinary.Node
	sync := node.GetChildByTag("sync")
	for _, coll := range sync.GetChildrenByTag("collection") {
		ag := coll.AttrGetter()
		name := ag.String("name")
		version := uint64(ag.OptionalInt("version"))
		if ag.OptionalBool("return_snapshot") {
			version = 0
		}
		if patchNode, ok := coll.GetOptionalChildByTag("patch"); ok {
			raw, _ := patchNode.Content.([]byte)
			out = append(out, p.acceptClientPatch(dev, name, version, raw))
			continue
		}
		patches, latest := s.patchesSince(p.jid, name, version)
		out = append(out, collectionNode(name, latest, patches, ""))
	}
	return []waBinary.Node{{Tag: "sync", Content: out}}, nil
}

func collectionNode(name string, version uint64, patches [][]byte, errCode string) waBinary.Node {
	attrs := waBinary.Attrs{"name": name, "version": strconv.FormatUint(version, 10)}
	var content []waBinary.Node
	if errCode != "" {
		attrs["type"] = "error"
		content = append(content, waBinary.Node{Tag: "error", Attrs: waBinary.Attrs{"code": errCode, "text": "conflict"}})
	}
	if len(patches) > 0 {
		list := make([]waBinary.Node, len(patches))
		for i, raw := range patches {
			list[i] = waBinary.Node{Tag: "patch", Content: raw}
		}
		content = append(content, waBinary.Node{Tag: "patches", Content: list})
	}
	return waBinary.Node{Tag: "collection", Attrs: attrs, Content: content}
}

// notifyAppState tells an account's clients (but skip) that a collection changed.
func (s *Server) notifyAppState(p *Phone, name string, version uint64, skip types.JID) {
	for _, dev := range p.Devices() {
		if dev == skip {
			continue
		}
		s.deliver(dev, waBinary.Node{Tag: "notification", Attrs: waBinary.Attrs{
			"from": types.ServerJID, "type": "server_sync", "id": s.nextID(), "t": unixNow(),
		}, Content: []waBinary.Node{{Tag: "collection", Attrs: waBinary.Attrs{
			"name": name, "version": strconv.FormatUint(version, 10),
		}}}})
	}
}
