package waemu

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/hkdf"
)

// noisePattern is the protocol name the client hashes into the handshake.
const noisePattern = "Noise_XX_25519_AESGCM_SHA256\x00\x00\x00\x00"

// noiseState is the symmetric state of the responder side of Noise XX.
type noiseState struct {
	hash    []byte
	salt    []byte
	key     cipher.AEAD
	counter uint32
}

func newNoiseState(header []byte) (*noiseState, error) {
	ns := &noiseState{hash: []byte(noisePattern)}
	ns.salt = ns.hash
	key, err := newGCM(ns.hash)
	if err != nil {
		return nil, err
	}
	ns.key = key
	ns.authenticate(header)
	return ns, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("create aes cipher: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("create gcm: %w", err)
	}
	return gcm, nil
}

func noiseIV(counter uint32) []byte {
	iv := make([]byte, 12)
	binary.BigEndian.PutUint32(iv[8:], counter)
	return iv
}

func (ns *noiseState) authenticate(data []byte) {
	h := sha256.Sum256(append(append([]byte{}, ns.hash...), data...))
	ns.hash = h[:]
}

func (ns *noiseState) encrypt(plaintext []byte) []byte {
	ct := ns.key.Seal(nil, noiseIV(ns.counter), plaintext, ns.hash)
	ns.counter++
	ns.authenticate(ct)
	return ct
}

func (ns *noiseState) decrypt(ciphertext []byte) ([]byte, error) {
	pt, err := ns.key.Open(nil, noiseIV(ns.counter), ciphertext, ns.hash)
	ns.counter++
	if err != nil {
		return nil, fmt.Errorf("decrypt handshake payload: %w", err)
	}
	ns.authenticate(ciphertext)
	return pt, nil
}

func (ns *noiseState) mixDH(priv, pub []byte) error {
	secret, err := curve25519.X25519(priv, pub)
	if err != nil {
		return fmt.Errorf("x25519: %w", err)
	}
	write, read, err := expand(ns.salt, secret)
	if err != nil {
		return err
	}
	ns.salt = write
	ns.counter = 0
	ns.key, err = newGCM(read)
	return err
}

// split returns the transport ciphers: the client writes with the first key,
// so the server reads with it and writes with the second.
func (ns *noiseState) split() (read, write cipher.AEAD, err error) {
	k1, k2, err := expand(ns.salt, nil)
	if err != nil {
		return nil, nil, err
	}
	if read, err = newGCM(k1); err != nil {
		return nil, nil, err
	}
	if write, err = newGCM(k2); err != nil {
		return nil, nil, err
	}
	return read, write, nil
}

func expand(salt, data []byte) (a, b []byte, err error) {
	h := hkdf.New(sha256.New, data, salt, nil)
	a, b = make([]byte, 32), make([]byte, 32)
	if _, err = io.ReadFull(h, a); err != nil {
		return nil, nil, fmt.Errorf("hkdf: %w", err)
	}
	if _, err = io.ReadFull(h, b); err != nil {
		return nil, nil, fmt.Errorf("hkdf: %w", err)
	}
	return a, b, nil
}
