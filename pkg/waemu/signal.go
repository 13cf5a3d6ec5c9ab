package waemu

import (
	"context"
	"fmt"
	"sync"

	"go.mau.fi/libsignal/ecc"
	groupRecord "go.mau.fi/libsignal/groups/state/record"
	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/state/record"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/util/keys"
)

var pbSerializer = store.SignalProtobufSerializer

// signalStore is an in-memory libsignal store for one simulated phone.
// Records are kept serialized and keyed by address string, never by pointer.
type signalStore struct {
	identity  *keys.KeyPair
	regID     uint32
	signedPre *keys.PreKey

	// mu guards the maps and nextPreKey.
	mu         sync.Mutex
	sessions   map[string][]byte
	identities map[string][32]byte
	preKeys    map[uint32]*keys.PreKey
	senderKeys map[string][]byte
	nextPreKey uint32
}

func newSignalStore(identity *keys.KeyPair, regID uint32) *signalStore {
	return &signalStore{
		identity: identity, regID: regID, signedPre: identity.CreateSignedPreKey(1),
		sessions: map[string][]byte{}, identities: map[string][32]byte{},
		preKeys: map[uint32]*keys.PreKey{}, senderKeys: map[string][]byte{}, nextPreKey: 1,
	}
}

// newPreKey generates and keeps a one-time prekey to hand out in a bundle.
func (st *signalStore) newPreKey() *keys.PreKey {
	st.mu.Lock()
	defer st.mu.Unlock()
	pk := keys.NewPreKey(st.nextPreKey)
	st.nextPreKey++
	st.preKeys[pk.KeyID] = pk
	return pk
}

func (st *signalStore) GetIdentityKeyPair() *identity.KeyPair {
	return identity.NewKeyPair(identity.NewKey(ecc.NewDjbECPublicKey(*st.identity.Pub)), ecc.NewDjbECPrivateKey(*st.identity.Priv))
}

func (st *signalStore) GetLocalRegistrationID() uint32 { return st.regID }

func (st *signalStore) SaveIdentity(_ context.Context, addr *protocol.SignalAddress, key *identity.Key) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.identities[addr.String()] = key.PublicKey().PublicKey()
	return nil
}

// IsTrustedIdentity trusts everything: a simulated phone never blocks on a
// changed identity (a re-linked client gets new keys under an old address).
func (st *signalStore) IsTrustedIdentity(context.Context, *protocol.SignalAddress, *identity.Key) (bool, error) {
	return true, nil
}

func (st *signalStore) LoadPreKey(_ context.Context, id uint32) (*record.PreKey, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	pk := st.preKeys[id]
	if pk == nil {
		return nil, nil
	}
	return record.NewPreKey(pk.KeyID, ecc.NewECKeyPair(ecc.NewDjbECPublicKey(*pk.Pub), ecc.NewDjbECPrivateKey(*pk.Priv)), nil), nil
}

func (st *signalStore) StorePreKey(context.Context, uint32, *record.PreKey) error {
	return fmt.Errorf("store prekey: %w", ErrInvalid)
}

func (st *signalStore) ContainsPreKey(_ context.Context, id uint32) (bool, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.preKeys[id]
	return ok, nil
}

func (st *signalStore) RemovePreKey(_ context.Context, id uint32) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.preKeys, id)
	return nil
}

func (st *signalStore) LoadSignedPreKey(_ context.Context, id uint32) (*record.SignedPreKey, error) {
	if id != st.signedPre.KeyID {
		return nil, nil
	}
	kp := ecc.NewECKeyPair(ecc.NewDjbECPublicKey(*st.signedPre.Pub), ecc.NewDjbECPrivateKey(*st.signedPre.Priv))
	return record.NewSignedPreKey(id, 0, kp, *st.signedPre.Signature, nil), nil
}

func (st *signalStore) LoadSignedPreKeys(ctx context.Context) ([]*record.SignedPreKey, error) {
	r, err := st.LoadSignedPreKey(ctx, st.signedPre.KeyID)
	return []*record.SignedPreKey{r}, err
}

func (st *signalStore) StoreSignedPreKey(context.Context, uint32, *record.SignedPreKey) error {
	return fmt.Errorf("store signed prekey: %w", ErrInvalid)
}

func (st *signalStore) ContainsSignedPreKey(_ context.Context, id uint32) (bool, error) {
	return id == st.signedPre.KeyID, nil
}

func (st *signalStore) RemoveSignedPreKey(context.Context, uint32) error { return nil }

func (st *signalStore) LoadSession(_ context.Context, addr *protocol.SignalAddress) (*record.Session, error) {
	st.mu.Lock()
	raw, ok := st.sessions[addr.String()]
	st.mu.Unlock()
	if !ok {
		return record.NewSession(pbSerializer.Session, pbSerializer.State), nil
	}
	sess, err := record.NewSessionFromBytes(raw, pbSerializer.Session, pbSerializer.State)
	if err != nil {
		return nil, fmt.Errorf("deserialize session %s: %w", addr, err)
	}
	return sess, nil
}

func (st *signalStore) GetSubDeviceSessions(context.Context, string) ([]uint32, error) {
	return nil, nil
}

func (st *signalStore) StoreSession(_ context.Context, addr *protocol.SignalAddress, sess *record.Session) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sessions[addr.String()] = sess.Serialize()
	return nil
}

func (st *signalStore) ContainsSession(_ context.Context, addr *protocol.SignalAddress) (bool, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.sessions[addr.String()]
	return ok, nil
}

func (st *signalStore) DeleteSession(_ context.Context, addr *protocol.SignalAddress) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.sessions, addr.String())
	return nil
}

func (st *signalStore) DeleteAllSessions(context.Context) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sessions = map[string][]byte{}
	return nil
}

func (st *signalStore) StoreSenderKey(_ context.Context, name *protocol.SenderKeyName, rec *groupRecord.SenderKey) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.senderKeys[name.GroupID()+"|"+name.Sender().String()] = rec.Serialize()
	return nil
}

func (st *signalStore) LoadSenderKey(_ context.Context, name *protocol.SenderKeyName) (*groupRecord.SenderKey, error) {
	st.mu.Lock()
	raw, ok := st.senderKeys[name.GroupID()+"|"+name.Sender().String()]
	st.mu.Unlock()
	if !ok {
		return groupRecord.NewSenderKey(pbSerializer.SenderKeyRecord, pbSerializer.SenderKeyState), nil
	}
	rec, err := groupRecord.NewSenderKeyFromBytes(raw, pbSerializer.SenderKeyRecord, pbSerializer.SenderKeyState)
	if err != nil {
		return nil, fmt.Errorf("deserialize sender key: %w", err)
	}
	return rec, nil
}
