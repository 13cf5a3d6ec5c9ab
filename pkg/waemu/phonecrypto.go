package waemu

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/libsignal/groups"
	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/keys/prekey"
	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/session"
	"go.mau.fi/libsignal/util/optional"
	"go.mau.fi/whatsmeow/types"
)

func (p *Phone) builder(addr *protocol.SignalAddress) *session.Builder {
	st := p.signal
	return session.NewBuilder(st, st, st, st, addr, pbSerializer)
}

// encryptFor encrypts plaintext (unpadded) for one device, fetching a bundle
// from the server when there is no session yet. It returns "pkmsg" or "msg".
func (p *Phone) encryptFor(ctx context.Context, dev types.JID, plaintext []byte) ([]byte, string, error) {
	p.cryptoMu.Lock()
	defer p.cryptoMu.Unlock()
	addr := dev.SignalAddress()
	has, _ := p.signal.ContainsSession(ctx, addr)
	b := p.builder(addr)
	if !has {
		bd, ok := p.srv.takeBundle(dev)
		if !ok {
			return nil, "", fmt.Errorf("bundle for %s: %w", dev, ErrNoSession)
		}
		preKeyID := optional.NewEmptyUint32()
		var preKeyPub ecc.ECPublicKeyable
		if bd.preKey != nil {
			preKeyID = optional.NewOptionalUint32(bd.preKey.id)
			preKeyPub = ecc.NewDjbECPublicKey(bd.preKey.pub)
		}
		if len(bd.signed.signature) != 64 {
			return nil, "", fmt.Errorf("signed prekey of %s: %w", dev, ErrNoSession)
		}
		pb := prekey.NewBundle(bd.regID, uint32(dev.Device), preKeyID, bd.signed.id, preKeyPub,
			ecc.NewDjbECPublicKey(bd.signed.pub), [64]byte(bd.signed.signature),
			identity.NewKey(ecc.NewDjbECPublicKey(bd.identity)))
		if err := b.ProcessBundle(ctx, pb); err != nil {
			return nil, "", fmt.Errorf("process bundle of %s: %w", dev, err)
		}
	}
	ct, err := session.NewCipher(b, addr).Encrypt(ctx, pad(plaintext))
	if err != nil {
		return nil, "", fmt.Errorf("encrypt for %s: %w", dev, err)
	}
	typ := "msg"
	if ct.Type() == protocol.PREKEY_TYPE {
		typ = "pkmsg"
	}
	return ct.Serialize(), typ, nil
}

// decryptFrom decrypts a pkmsg or msg from a device and strips the padding.
func (p *Phone) decryptFrom(ctx context.Context, dev types.JID, typ string, ct []byte) ([]byte, error) {
	p.cryptoMu.Lock()
	defer p.cryptoMu.Unlock()
	addr := dev.SignalAddress()
	cipher := session.NewCipher(p.builder(addr), addr)
	var (
		pt  []byte
		err error
	)
	switch typ {
	case "pkmsg":
		msg, perr := protocol.NewPreKeySignalMessageFromBytes(ct, pbSerializer.PreKeySignalMessage, pbSerializer.SignalMessage)
		if perr != nil {
			return nil, fmt.Errorf("parse pkmsg: %w", perr)
		}
		pt, err = cipher.DecryptMessage(ctx, msg)
	case "msg":
		msg, perr := protocol.NewSignalMessageFromBytes(ct, pbSerializer.SignalMessage)
		if perr != nil {
			return nil, fmt.Errorf("parse msg: %w", perr)
		}
		pt, err = cipher.Decrypt(ctx, msg)
	default:
		return nil, fmt.Errorf("enc type %q: %w", typ, ErrInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("decrypt %s from %s: %w", typ, dev, err)
	}
	return unpad(pt)
}

func (p *Phone) senderKeyName(group types.JID, sender types.JID) *protocol.SenderKeyName {
	return protocol.NewSenderKeyName(group.String(), sender.SignalAddress())
}

// processSKDM stores a sender key a device distributed for a group.
func (p *Phone) processSKDM(ctx context.Context, group, sender types.JID, raw []byte) error {
	p.cryptoMu.Lock()
	defer p.cryptoMu.Unlock()
	msg, err := protocol.NewSenderKeyDistributionMessageFromBytes(raw, pbSerializer.SenderKeyDistributionMessage)
	if err != nil {
		return fmt.Errorf("parse skdm: %w", err)
	}
	b := groups.NewGroupSessionBuilder(p.signal, pbSerializer)
	if err := b.Process(ctx, p.senderKeyName(group, sender), msg); err != nil {
		return fmt.Errorf("process skdm: %w", err)
	}
	return nil
}

func (p *Phone) decryptGroup(ctx context.Context, group, sender types.JID, ct []byte) ([]byte, error) {
	p.cryptoMu.Lock()
	defer p.cryptoMu.Unlock()
	msg, err := protocol.NewSenderKeyMessageFromBytes(ct, pbSerializer.SenderKeyMessage)
	if err != nil {
		return nil, fmt.Errorf("parse skmsg: %w", err)
	}
	b := groups.NewGroupSessionBuilder(p.signal, pbSerializer)
	pt, err := groups.NewGroupCipher(b, p.senderKeyName(group, sender), p.signal).Decrypt(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("decrypt skmsg: %w", err)
	}
	return unpad(pt)
}

// groupEncrypt encrypts for a group with this phone's own sender key and
// returns the ciphertext and the distribution message for new members.
func (p *Phone) groupEncrypt(ctx context.Context, group types.JID, plaintext []byte) (ct, skdm []byte, err error) {
	p.cryptoMu.Lock()
	defer p.cryptoMu.Unlock()
	b := groups.NewGroupSessionBuilder(p.signal, pbSerializer)
	name := p.senderKeyName(group, p.jid)
	dist, err := b.Create(ctx, name)
	if err != nil {
		return nil, nil, fmt.Errorf("create sender key: %w", err)
	}
	msg, err := groups.NewGroupCipher(b, name, p.signal).Encrypt(ctx, pad(plaintext))
	if err != nil {
		return nil, nil, fmt.Errorf("group encrypt: %w", err)
	}
	return msg.SignedSerialize(), dist.Serialize(), nil
}

func pad(b []byte) []byte {
	var n [1]byte
	_, _ = rand.Read(n[:])
	n[0] &= 0xf
	if n[0] == 0 {
		n[0] = 0xf
	}
	return append(append([]byte{}, b...), bytes.Repeat(n[:], int(n[0]))...)
}

func unpad(b []byte) ([]byte, error) {
	if len(b) == 0 || int(b[len(b)-1]) > len(b) {
		return nil, fmt.Errorf("bad padding: %w", ErrInvalid)
	}
	return b[:len(b)-int(b[len(b)-1])], nil
}
