package waemu

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mau.fi/whatsmeow/appstate"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waServerSync"
	"go.mau.fi/whatsmeow/proto/waSyncAction"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	waLog "go.mau.fi/whatsmeow/util/log"
	"google.golang.org/protobuf/proto"

	_ "modernc.org/sqlite" // the phones' app state lives in in-memory SQLite
)

// phoneAppState is a phone's decrypted app state: whatsmeow's own processor
// over a whatsmeow device store, so patches are built and checked exactly as
// clients do.
type phoneAppState struct {
	dev   *store.Device
	proc  *appstate.Processor
	keyID []byte
}

// appStateContainer opens the server's in-memory app state database once.
func (s *Server) appStateContainer() (*sqlstore.Container, error) {
	s.appStateOnce.Do(func() {
		dsn := fmt.Sprintf("file:waemu-appstate-%p?mode=memory&cache=shared&_pragma=foreign_keys(1)", s)
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			s.appStateErr = fmt.Errorf("open app state db: %w", err)
			return
		}
		db.SetMaxOpenConns(1) // one connection keeps the shared memory database alive
		c := sqlstore.NewWithDB(db, "sqlite3", waLog.Noop)
		if err := c.Upgrade(context.Background()); err != nil {
			s.appStateErr = fmt.Errorf("upgrade app state db: %w", err)
			return
		}
		s.appStateDB = c
	})
	return s.appStateDB, s.appStateErr
}

// appStateLocked returns the phone's app state, creating it (with a sync key
// and one bootstrap patch per chat collection) on first use. Needs appMu.
func (p *Phone) appStateLocked(ctx context.Context) (*phoneAppState, error) {
	if p.app != nil {
		return p.app, nil
	}
	c, err := p.srv.appStateContainer()
	if err != nil {
		return nil, err
	}
	dev := c.NewDevice()
	jid := p.jid
	dev.ID = &jid
	dev.Account = &waAdv.ADVSignedDeviceIdentity{ // unused, but the table wants values
		Details: []byte{}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64),
	}
	if err := c.PutDevice(ctx, dev); err != nil {
		return nil, fmt.Errorf("store phone device: %w", err)
	}
	keyID := append([]byte{0, 0, 0, 0}, randBytes(2)...)
	fp, _ := proto.Marshal(&waE2E.AppStateSyncKeyFingerprint{RawID: proto.Uint32(p.rawID), CurrentIndex: proto.Uint32(0), DeviceIndexes: []uint32{0}})
	err = dev.AppStateKeys.PutAppStateSyncKey(ctx, keyID, store.AppStateSyncKey{Data: randBytes(32), Fingerprint: fp, Timestamp: time.Now().UnixMilli()})
	if err != nil {
		return nil, fmt.Errorf("store app state key: %w", err)
	}
	p.app = &phoneAppState{dev: dev, proc: appstate.NewProcessor(dev, waLog.Noop), keyID: keyID}
	// Give each chat-settings collection a first version: a client treats a
	// collection at version 0 as a full sync and emits no events for it.
	self := p.jid
	for _, info := range []appstate.PatchInfo{
		appstate.BuildSettingPushName(p.name),
		appstate.BuildPin(self, false),
		appstate.BuildMute(self, false, 0),
		appstate.BuildLabelEdit("0", "waemu", 0, true),
		{Type: appstate.WAPatchCriticalUnblockLow, Mutations: []appstate.MutationInfo{{
			Index: []string{"waemu_bootstrap"}, Version: 1, Value: &waSyncAction.SyncActionValue{},
		}}},
	} {
		if err := p.applyPatchLocked(ctx, info); err != nil {
			return nil, fmt.Errorf("bootstrap %s: %w", info.Type, err)
		}
	}
	return p.app, nil
}

// SendAppState applies an app state change made on the phone (archive, pin,
// mute, mark read, star... see whatsmeow's appstate.Build* helpers) and tells
// the linked clients, which fetch it and emit the matching events. A client
// needs the key first (ShareAppStateKeys, or Options.AppStateOnLink) and
// emits events only once its initial sync is done (events.AppStateSyncComplete).
func (p *Phone) SendAppState(ctx context.Context, info appstate.PatchInfo) error {
	p.appMu.Lock()
	defer p.appMu.Unlock()
	if _, err := p.appStateLocked(ctx); err != nil {
		return err
	}
	return p.applyPatchLocked(ctx, info)
}

// applyPatchLocked encodes, stores and applies one patch. Needs appMu.
func (p *Phone) applyPatchLocked(ctx context.Context, info appstate.PatchInfo) error {
	app := p.app
	version, hash, err := app.dev.AppState.GetAppStateVersion(ctx, string(info.Type))
	if err != nil {
		return fmt.Errorf("app state version: %w", err)
	}
	raw, err := app.proc.EncodePatch(ctx, app.keyID, appstate.HashState{Version: version, Hash: hash}, info)
	if err != nil {
		return fmt.Errorf("encode patch: %w", err)
	}
	stored, newVersion, err := p.srv.appendPatch(p.jid, string(info.Type), version, raw)
	if err != nil {
		return err
	}
	if err := p.ingestLocked(ctx, string(info.Type), version, hash, stored); err != nil {
		return err
	}
	p.srv.notifyAppState(p, string(info.Type), newVersion, types.EmptyJID)
	return nil
}

// ingestLocked applies a stored patch to the phone's decrypted state.
func (p *Phone) ingestLocked(ctx context.Context, name string, version uint64, hash [128]byte, stored []byte) error {
	var patch waServerSync.SyncdPatch
	if err := proto.Unmarshal(stored, &patch); err != nil {
		return fmt.Errorf("unmarshal patch: %w", err)
	}
	list := &appstate.PatchList{Name: appstate.WAPatchName(name), Patches: []*waServerSync.SyncdPatch{&patch}}
	muts, _, err := p.app.proc.DecodePatches(ctx, list, appstate.HashState{Version: version, Hash: hash}, true)
	if err != nil {
		return fmt.Errorf("apply patch: %w", err)
	}
	p.appMutations = append(p.appMutations, muts...)
	return nil
}

// AppStateMutations returns every app state change the phone applied, its
// own and its linked clients' (archive, pin, mute, contacts...), oldest
// first.
func (p *Phone) AppStateMutations() []appstate.Mutation {
	p.appMu.Lock()
	defer p.appMu.Unlock()
	return slices.Clone(p.appMutations)
}

// acceptClientPatch stores a patch a linked client pushed and applies it to
// the phone's state; a stale base version gets 409 and the missing patches.
func (p *Phone) acceptClientPatch(from types.JID, name string, base uint64, raw []byte) waBinary.Node {
	ctx := context.Background()
	p.appMu.Lock()
	defer p.appMu.Unlock()
	if p.app == nil {
		return collectionNode(name, 0, nil, "400")
	}
	version, hash, err := p.app.dev.AppState.GetAppStateVersion(ctx, name)
	if err != nil {
		return collectionNode(name, base, nil, "500")
	}
	stored, newVersion, err := p.srv.appendPatch(p.jid, name, base, raw)
	if errors.Is(err, ErrConflict) {
		patches, latest := p.srv.patchesSince(p.jid, name, base)
		return collectionNode(name, latest, patches, "409")
	} else if err != nil {
		return collectionNode(name, base, nil, "400")
	}
	if err := p.ingestLocked(ctx, name, version, hash, stored); err != nil {
		p.srv.log.Warn("waemu: phone could not apply a client's app state patch", "phone", p.number, "err", err)
	}
	p.srv.notifyAppState(p, name, newVersion, from)
	return collectionNode(name, newVersion, nil, "")
}

// ShareAppStateKeys sends the phone's app state key to a linked device; the
// client then syncs every collection. SendAppState does this on first use.
func (p *Phone) ShareAppStateKeys(ctx context.Context, device types.JID) error {
	p.appMu.Lock()
	app, err := p.appStateLocked(ctx)
	p.appMu.Unlock()
	if err != nil {
		return err
	}
	key, err := app.dev.AppStateKeys.GetAppStateSyncKey(ctx, app.keyID)
	if err != nil || key == nil {
		return fmt.Errorf("load app state key: %w", errors.Join(err, ErrNotFound))
	}
	var fp waE2E.AppStateSyncKeyFingerprint
	_ = proto.Unmarshal(key.Fingerprint, &fp)
	msg := &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
		Type: waE2E.ProtocolMessage_APP_STATE_SYNC_KEY_SHARE.Enum(),
		AppStateSyncKeyShare: &waE2E.AppStateSyncKeyShare{Keys: []*waE2E.AppStateSyncKey{{
			KeyID:   &waE2E.AppStateSyncKeyId{KeyID: app.keyID},
			KeyData: &waE2E.AppStateSyncKeyData{KeyData: key.Data, Fingerprint: &fp, Timestamp: proto.Int64(key.Timestamp)},
		}}},
	}}
	plaintext, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("marshal key share: %w", err)
	}
	return p.sendEnc(ctx, device, plaintext, waBinary.Attrs{
		"from": p.jid, "id": NewMessageID(), "t": unixNow(), "type": "text", "category": "peer",
	}, waBinary.Attrs{})
}

// SaveContact stores a contact in the phone's address book; linked clients
// get events.Contact and the name in their contact store.
func (p *Phone) SaveContact(ctx context.Context, jid types.JID, fullName, firstName string) error {
	return p.SendAppState(ctx, appstate.PatchInfo{Type: appstate.WAPatchCriticalUnblockLow, Mutations: []appstate.MutationInfo{{
		Index: []string{appstate.IndexContact, jid.ToNonAD().String()}, Version: 2,
		Value: &waSyncAction.SyncActionValue{ContactAction: &waSyncAction.ContactAction{
			FullName: proto.String(fullName), FirstName: proto.String(firstName),
		}},
	}}})
}
