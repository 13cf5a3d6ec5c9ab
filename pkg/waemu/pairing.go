package waemu

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/whatsmeow"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

const qrRefCount = 6

// startRegistration offers QR refs to a client that has no credentials yet.
func (s *Server) startRegistration(c *conn) error {
	refs := make([]waBinary.Node, qrRefCount)
	s.stateMu.Lock()
	for i := range refs {
		ref := "2@" + randomB64(24)
		s.pendingRefs[ref] = c
		refs[i] = waBinary.Node{Tag: "ref", Content: []byte(ref)}
	}
	s.stateMu.Unlock()
	return c.send(waBinary.Node{
		Tag:     "iq",
		Attrs:   waBinary.Attrs{"from": types.ServerJID, "type": "set", "xmlns": "md", "id": s.nextID()},
		Content: []waBinary.Node{{Tag: "pair-device", Content: refs}},
	})
}

func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ScanQR links the client that showed qr (an events.QR code) to this phone's
// account, as scanning it with the phone app would. It returns the new device
// JID once the client has confirmed the pairing. The client then reconnects
// and logs in on its own.
func (p *Phone) ScanQR(ctx context.Context, qr string) (types.JID, error) {
	parts := strings.Split(qr, ",")
	if len(parts) < 4 {
		return types.EmptyJID, fmt.Errorf("qr has %d parts: %w", len(parts), ErrInvalid)
	}
	noisePub, err1 := base64.StdEncoding.DecodeString(parts[1])
	identityPub, err2 := base64.StdEncoding.DecodeString(parts[2])
	advSecret, err3 := base64.StdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil || err3 != nil || len(identityPub) != 32 {
		return types.EmptyJID, fmt.Errorf("decode qr: %w", ErrInvalid)
	}
	s := p.srv
	s.stateMu.Lock()
	c := s.pendingRefs[parts[0]]
	s.stateMu.Unlock()
	if c == nil {
		return types.EmptyJID, fmt.Errorf("qr ref %q: %w", parts[0], ErrNotFound)
	}
	if !bytes.Equal(c.clientStatic, noisePub) {
		return types.EmptyJID, fmt.Errorf("qr noise key does not match connection: %w", ErrInvalid)
	}
	return s.completePairing(ctx, c, p, advSecret, [32]byte(identityPub))
}

// completePairing sends pair-success, checks the client's device signature,
// registers the device and restarts the stream with code 515.
func (s *Server) completePairing(ctx context.Context, c *conn, p *Phone, advSecret []byte, identityPub [32]byte) (types.JID, error) {
	s.stateMu.Lock()
	for ref, rc := range s.pendingRefs {
		if rc == c {
			delete(s.pendingRefs, ref)
		}
	}
	s.stateMu.Unlock()
	deviceID := p.allocDevice()
	jid := deviceJID(p.jid.User, types.DefaultUserServer, deviceID)
	lid := deviceJID(p.lid.User, types.HiddenUserServer, deviceID)
	details, err := proto.Marshal(&waAdv.ADVDeviceIdentity{
		RawID:       proto.Uint32(p.rawID),
		Timestamp:   proto.Uint64(uint64(time.Now().Unix())),
		KeyIndex:    proto.Uint32(uint32(deviceID)),
		AccountType: waAdv.ADVEncryptionType_E2EE.Enum(),
		DeviceType:  waAdv.ADVEncryptionType_E2EE.Enum(),
	})
	if err != nil {
		return types.EmptyJID, fmt.Errorf("marshal device identity: %w", err)
	}
	accountPub := p.identityPub()
	accountSig := xeddsaSign(p.identityPriv(), concat(whatsmeow.AdvAccountSignaturePrefix, details, identityPub[:]))
	signed, err := proto.Marshal(&waAdv.ADVSignedDeviceIdentity{
		Details: details, AccountSignatureKey: accountPub[:], AccountSignature: accountSig[:],
	})
	if err != nil {
		return types.EmptyJID, fmt.Errorf("marshal signed identity: %w", err)
	}
	mac := hmac.New(sha256.New, advSecret)
	mac.Write(signed)
	container, err := proto.Marshal(&waAdv.ADVSignedDeviceIdentityHMAC{
		Details: signed, HMAC: mac.Sum(nil), AccountType: waAdv.ADVEncryptionType_E2EE.Enum(),
	})
	if err != nil {
		return types.EmptyJID, fmt.Errorf("marshal identity hmac: %w", err)
	}
	resp, err := c.request(ctx, waBinary.Node{
		Tag:   "iq",
		Attrs: waBinary.Attrs{"from": types.ServerJID, "type": "set", "xmlns": "md", "id": s.nextID()},
		Content: []waBinary.Node{{Tag: "pair-success", Content: []waBinary.Node{
			{Tag: "device-identity", Content: container},
			{Tag: "platform", Attrs: waBinary.Attrs{"name": "android"}},
			{Tag: "device", Attrs: waBinary.Attrs{"jid": jid, "lid": lid}},
		}}},
	})
	if err != nil {
		return types.EmptyJID, fmt.Errorf("wait for pair-device-sign: %w", err)
	}
	if err := verifyPairSign(resp, details, identityPub, accountPub); err != nil {
		return types.EmptyJID, err
	}
	dev, err := newLinkedDevice(c, p, jid, lid)
	if err != nil {
		return types.EmptyJID, err
	}
	s.stateMu.Lock()
	s.devices[jid] = dev
	s.stateMu.Unlock()
	p.addDevice(jid)
	s.notifyDevicesChanged(p)
	c.kick(streamError("515", ""))
	if s.opts.AppStateOnLink {
		if err := p.ShareAppStateKeys(context.WithoutCancel(ctx), jid); err != nil {
			s.log.Warn("waemu: app state keys on link", "device", jid, "err", err)
		}
	}
	if s.opts.HistorySyncOnLink {
		// Queued until the client logs in again after the 515 restart.
		if err := p.SendHistorySync(context.WithoutCancel(ctx), jid); err != nil {
			s.log.Warn("waemu: history sync on link", "device", jid, "err", err)
		}
	}
	return jid, nil
}

func verifyPairSign(resp *waBinary.Node, details []byte, identityPub, accountPub [32]byte) error {
	if typ, _ := resp.Attrs["type"].(string); typ != "result" {
		return fmt.Errorf("client answered %s: %w", resp.XMLString(), ErrPairRejected)
	}
	raw, _ := resp.GetChildByTag("pair-device-sign", "device-identity").Content.([]byte)
	var signed waAdv.ADVSignedDeviceIdentity
	if err := proto.Unmarshal(raw, &signed); err != nil {
		return fmt.Errorf("unmarshal pair-device-sign: %w", err)
	}
	msg := concat(whatsmeow.AdvDeviceSignaturePrefix, details, identityPub[:], accountPub[:])
	if len(signed.DeviceSignature) != 64 || !ecc.VerifySignature(ecc.NewDjbECPublicKey(identityPub), msg, [64]byte(signed.DeviceSignature)) {
		return fmt.Errorf("device signature invalid: %w", ErrPairRejected)
	}
	return nil
}

func newLinkedDevice(c *conn, p *Phone, jid, lid types.JID) (*linkedDevice, error) {
	reg := c.payload.GetDevicePairingData()
	if len(reg.GetEIdent()) != 32 || len(reg.GetESkeyVal()) != 32 || len(reg.GetERegid()) != 4 {
		return nil, fmt.Errorf("registration payload incomplete: %w", ErrInvalid)
	}
	return &linkedDevice{
		jid: jid, lid: lid, phone: p,
		noisePub:    c.clientStatic,
		identityPub: [32]byte(reg.GetEIdent()),
		regID:       be32(reg.GetERegid()),
		signedPre: preKeyRecord{
			id: be32(reg.GetESkeyID()), pub: [32]byte(reg.GetESkeyVal()), signature: reg.GetESkeySig(),
		},
		pushName: c.payload.GetPushName(),
	}, nil
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
