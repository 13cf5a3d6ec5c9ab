package waemu

import (
	"crypto/sha256"
	"fmt"
	"time"

	"go.mau.fi/libsignal/ecc"
	signalLogger "go.mau.fi/libsignal/logger"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCert"
	"go.mau.fi/whatsmeow/util/keys"
	"google.golang.org/protobuf/proto"
)

// defaultRootSeed derives the default root key. It is a constant, not a secret:
// the emulator only ever serves loopback clients that chose to trust it.
const defaultRootSeed = "wamesh waemu default noise root key v1"

// RootKey is the private key of the Noise certificate root. The client checks
// the intermediate certificate against its public half (whatsmeow.WACertPubKey).
type RootKey [32]byte

// DefaultRootKey returns the deterministic root key every Server uses when
// Options.RootKey is nil, so that one InstallRootKey call serves all servers
// of a process.
func DefaultRootKey() RootKey {
	return RootKey(sha256.Sum256([]byte(defaultRootSeed)))
}

// PublicKey returns the Curve25519 public key of the root.
func (k RootKey) PublicKey() [32]byte {
	return *keys.NewKeyPairFromPrivateKey(k).Pub
}

// InstallRootKey sets the process-global whatsmeow.WACertPubKey so the client
// accepts servers signed by key. Call it once per process (TestMain, sandbox
// start), never in production mode, and not concurrently with connecting
// clients.
//
// It also initializes libsignal's lazily created global logger, which would
// otherwise be a data race between the first concurrent signatures.
func InstallRootKey(pub [32]byte) {
	whatsmeow.WACertPubKey = pub
	signalLogger.Debug("waemu: root key installed")
}

// noiseCertChain is the certificate chain a server presents in ServerHello.
const (
	intermediateSerial = 7001
	leafSerial         = 7002
	certValidity       = 30 * 24 * time.Hour
)

// buildCertChain signs a fresh intermediate with root and a leaf for static.
func buildCertChain(root RootKey, static [32]byte, now time.Time) ([]byte, error) {
	intermediate := keys.NewKeyPair()
	notBefore := uint64(now.Add(-time.Hour).Unix())
	notAfter := uint64(now.Add(certValidity).Unix())
	interDetails, err := proto.Marshal(&waCert.CertChain_NoiseCertificate_Details{
		Serial:       proto.Uint32(intermediateSerial),
		IssuerSerial: proto.Uint32(whatsmeow.WACertIssuerSerial),
		Key:          intermediate.Pub[:],
		NotBefore:    proto.Uint64(notBefore),
		NotAfter:     proto.Uint64(notAfter),
	})
	if err != nil {
		return nil, fmt.Errorf("marshal intermediate details: %w", err)
	}
	leafDetails, err := proto.Marshal(&waCert.CertChain_NoiseCertificate_Details{
		Serial:       proto.Uint32(leafSerial),
		IssuerSerial: proto.Uint32(intermediateSerial),
		Key:          static[:],
		NotBefore:    proto.Uint64(notBefore),
		NotAfter:     proto.Uint64(notAfter),
	})
	if err != nil {
		return nil, fmt.Errorf("marshal leaf details: %w", err)
	}
	interSig := xeddsaSign(root, interDetails)
	leafSig := xeddsaSign(*intermediate.Priv, leafDetails)
	chain, err := proto.Marshal(&waCert.CertChain{
		Intermediate: &waCert.CertChain_NoiseCertificate{Details: interDetails, Signature: interSig[:]},
		Leaf:         &waCert.CertChain_NoiseCertificate{Details: leafDetails, Signature: leafSig[:]},
	})
	if err != nil {
		return nil, fmt.Errorf("marshal cert chain: %w", err)
	}
	return chain, nil
}

func xeddsaSign(priv [32]byte, msg []byte) [64]byte {
	return ecc.CalculateSignature(ecc.NewDjbECPrivateKey(priv), msg)
}
