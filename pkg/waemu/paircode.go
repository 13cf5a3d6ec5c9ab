package waemu

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/util/hkdfutil"
	"go.mau.fi/whatsmeow/util/keys"
	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/pbkdf2"
)

// codePairing is a pairing-code link a client started with PairPhone.
type codePairing struct {
	conn    *conn
	ref     []byte
	wrapped []byte // salt(32) || iv(16) || AES-CTR(companion ephemeral pub)
	finish  chan companionFinish
}

type companionFinish struct {
	wrappedBundle []byte
	identityPub   []byte
}

const linkCodeIterations = 2 << 16

// handleLinkCode serves the companion_hello and companion_finish stages.
func (s *Server) handleLinkCode(c *conn, node *waBinary.Node) ([]waBinary.Node, *iqError) {
	reg := node.GetChildByTag("link_code_companion_reg")
	jid, _ := reg.Attrs["jid"].(types.JID)
	stage, _ := reg.Attrs["stage"].(string)
	switch stage {
	case "companion_hello":
		wrapped, _ := reg.GetChildByTag("link_code_pairing_wrapped_companion_ephemeral_pub").Content.([]byte)
		if len(wrapped) != 80 || s.phoneForUser(jid) == nil {
			return nil, errIQBadRequest
		}
		ref := []byte(randomB64(24))
		s.stateMu.Lock()
		s.codePairs[jid.User] = &codePairing{conn: c, ref: ref, wrapped: wrapped, finish: make(chan companionFinish, 1)}
		s.stateMu.Unlock()
		return []waBinary.Node{{Tag: "link_code_companion_reg", Content: []waBinary.Node{
			{Tag: "link_code_pairing_ref", Content: ref},
		}}}, nil
	case "companion_finish":
		s.stateMu.Lock()
		cp := s.codePairs[jid.User]
		s.stateMu.Unlock()
		ref, _ := reg.GetChildByTag("link_code_pairing_ref").Content.([]byte)
		if cp == nil || cp.conn != c || string(ref) != string(cp.ref) {
			return nil, errIQNotFound
		}
		bundle, _ := reg.GetChildByTag("link_code_pairing_wrapped_key_bundle").Content.([]byte)
		ident, _ := reg.GetChildByTag("companion_identity_public").Content.([]byte)
		select {
		case cp.finish <- companionFinish{wrappedBundle: bundle, identityPub: ident}:
		default:
			return nil, errIQNotAllowed
		}
		s.stateMu.Lock()
		delete(s.codePairs, jid.User)
		s.stateMu.Unlock()
		return nil, nil
	}
	return nil, errIQBadRequest
}

// EnterPairCode links the client that requested a pairing code for this
// phone's number (whatsmeow Client.PairPhone), as typing the code on the
// phone would. It returns the new device JID once the client confirmed.
func (p *Phone) EnterPairCode(ctx context.Context, code string) (types.JID, error) {
	code = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))
	if len(code) != 8 {
		return types.EmptyJID, fmt.Errorf("pairing code %q: %w", code, ErrInvalid)
	}
	s := p.srv
	s.stateMu.Lock()
	cp := s.codePairs[p.number]
	s.stateMu.Unlock()
	if cp == nil {
		return types.EmptyJID, fmt.Errorf("pending pairing code for %s: %w", p.number, ErrNotFound)
	}
	companionEph, err := linkCodeCrypt(code, cp.wrapped[:32], cp.wrapped[32:48], cp.wrapped[48:80])
	if err != nil {
		return types.EmptyJID, err
	}
	eph := keys.NewKeyPair()
	salt, iv := randBytes(32), randBytes(16)
	wrappedPub, err := linkCodeCrypt(code, salt, iv, eph.Pub[:])
	if err != nil {
		return types.EmptyJID, err
	}
	identity := p.identityPub()
	err = cp.conn.send(waBinary.Node{Tag: "notification", Attrs: waBinary.Attrs{
		"from": types.ServerJID, "type": "link_code_companion_reg", "id": s.nextID(), "t": unixNow(),
	}, Content: []waBinary.Node{{Tag: "link_code_companion_reg", Attrs: waBinary.Attrs{"stage": "primary_hello"}, Content: []waBinary.Node{
		{Tag: "link_code_pairing_ref", Content: cp.ref},
		{Tag: "link_code_pairing_wrapped_primary_ephemeral_pub", Content: concat(salt, iv, wrappedPub)},
		{Tag: "primary_identity_pub", Content: identity[:]},
	}}}})
	if err != nil {
		return types.EmptyJID, fmt.Errorf("send primary hello: %w", err)
	}
	var fin companionFinish
	select {
	case fin = <-cp.finish:
	case <-ctx.Done():
		return types.EmptyJID, ctx.Err()
	case <-cp.conn.ctx.Done():
		return types.EmptyJID, ErrConnectionClosed
	}
	advSecret, companionIdentity, err := p.openKeyBundle(eph, companionEph, fin)
	if err != nil {
		return types.EmptyJID, err
	}
	return s.completePairing(ctx, cp.conn, p, advSecret, companionIdentity)
}

// openKeyBundle decrypts the companion's key bundle and derives the ADV secret.
func (p *Phone) openKeyBundle(eph *keys.KeyPair, companionEph []byte, fin companionFinish) ([]byte, [32]byte, error) {
	var none [32]byte
	if len(fin.wrappedBundle) < 32+12+16 {
		return nil, none, fmt.Errorf("key bundle too short: %w", ErrInvalid)
	}
	shared, err := curve25519.X25519(eph.Priv[:], companionEph)
	if err != nil {
		return nil, none, fmt.Errorf("ephemeral dh: %w", err)
	}
	key := hkdfutil.SHA256(shared, fin.wrappedBundle[:32], []byte("link_code_pairing_key_bundle_encryption_key"), 32)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, none, fmt.Errorf("bundle cipher: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, none, fmt.Errorf("bundle gcm: %w", err)
	}
	plain, err := gcm.Open(nil, fin.wrappedBundle[32:44], fin.wrappedBundle[44:], nil)
	if err != nil || len(plain) != 96 {
		return nil, none, fmt.Errorf("open key bundle (wrong code?): %w", ErrPairRejected)
	}
	companionIdentity := [32]byte(plain[:32])
	priv := p.identityPriv()
	identityShared, err := curve25519.X25519(priv[:], companionIdentity[:])
	if err != nil {
		return nil, none, fmt.Errorf("identity dh: %w", err)
	}
	adv := hkdfutil.SHA256(concat(shared, identityShared, plain[64:96]), nil, []byte("adv_secret"), 32)
	return adv, companionIdentity, nil
}

// linkCodeCrypt is AES-CTR under PBKDF2(code, salt); it both wraps and unwraps.
func linkCodeCrypt(code string, salt, iv, data []byte) ([]byte, error) {
	key := pbkdf2.Key([]byte(code), salt, linkCodeIterations, 32, sha256.New)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("link code cipher: %w", err)
	}
	out := make([]byte, len(data))
	cipher.NewCTR(block, iv).XORKeyStream(out, data)
	return out, nil
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
