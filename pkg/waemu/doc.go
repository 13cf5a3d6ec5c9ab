// Package waemu is a local WhatsApp server emulator for tests and sandbox mode.
//
// It speaks the server side of the WhatsApp multi-device web protocol well enough
// for the real, unmodified go.mau.fi/whatsmeow client to connect to it: the Noise
// XX handshake with a per-server certificate chain, binary XML nodes, QR and
// pairing-code linking, login, prekeys, usync, 1:1 and group messages with real
// Signal encryption, receipts, presence, media upload and download, and the
// stream errors that end a session (replaced, device removed, temporary ban).
//
// Simulated accounts ("phones") live inside the emulator. A phone links a client
// by scanning the QR string the client emitted, sends it messages and decrypts
// what the client sends. Tests drive phones through the Go API; sandbox mode
// drives them through [Server.ControlHandler].
//
// Pointing a client at the emulator needs two things: [Server.Configure] on the
// client, and the process-global whatsmeow.WACertPubKey set to the emulator's
// root key with [InstallRootKey]. Because that variable is global, every Server
// uses [DefaultRootKey] unless Options.RootKey says otherwise, so many servers
// in one process (one per test) share one root key.
package waemu
