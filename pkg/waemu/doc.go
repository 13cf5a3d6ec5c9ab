// Package waemu is a local WhatsApp server emulator for tests and sandbox mode.
//
// It speaks the server side of the WhatsApp multi-device web protocol well enough
// for the real, unmodified go.mau.fi/whatsmeow client to connect to it: the Noise
// XX handshake with a per-server certificate chain, binary XML nodes, QR and
// pairing-code linking, login, prekeys, usync, 1:1 and group messages with real
// Signal encryption, receipts, presence, media upload and download over HTTPS,
// and the stream errors that end a session (replaced, device removed,
// temporary ban). Every client node it does not understand is recorded
// ([Server.UnhandledNodes]) so tests can fail on it.
//
// # Connecting a client
//
//	waemu.InstallRootKey(waemu.DefaultRootKey().PublicKey()) // once per process
//	srv, _ := waemu.Start(ctx, waemu.Options{})
//	cli := whatsmeow.NewClient(device, log)
//	srv.Configure(cli) // after any SetProxy, before Connect
//
// Configure replaces the client's websocket, pre-login and media HTTP clients
// with [Server.HTTPClient], which dials the emulator whatever the URL host is
// and trusts only the emulator's own TLS CA. The URL stays
// wss://web.whatsapp.com/ws/chat, so the client stays in WhatsApp (not
// Messenger) mode.
//
// whatsmeow checks the Noise certificate chain against the process-global
// whatsmeow.WACertPubKey. [InstallRootKey] sets it; never call it in
// production mode. Every Server signs with [DefaultRootKey] unless
// Options.RootKey is set, so many servers in one process (one per test) share
// one installed key.
//
// # Simulated accounts
//
// A [Phone] is a simulated account with its primary device (device 0).
// [Phone.ScanQR] links the client that emitted an events.QR code;
// [Phone.EnterPairCode] links a client that called Client.PairPhone. Linked
// clients become companion devices (device 1, 2, ...) of the phone's account.
// Phones send every common message kind ([Phone.SendText],
// [Phone.SendTextWith], [Phone.SendMedia], [Phone.React], [Phone.Edit],
// [Phone.Revoke], [Phone.SendLocation], [Phone.SendContact], [Phone.SendPoll],
// [Phone.Vote]), create and administer groups, send receipts, presence,
// calls, history syncs and app state changes, and decrypt all that clients
// send them ([Phone.Messages], [Phone.WaitMessage]).
//
// Delivery to clients follows WhatsApp's: a message for an offline device
// waits in its offline queue (flushed at login, then the offline marker);
// a message written to a connection stays pending until the client
// acknowledges it (its receipt, or an <ack class="message">), and one not
// acknowledged when the connection ends is sent again, in order, on the next. A history sync gives each conversation the unread
// count of the phone (incoming messages newer than the newest it read).
//
// # Sandbox control API
//
// [Server.ControlHandler] serves JSON under /sandbox/v1 (errors are RFC 9457
// problem+json with a machine code: VALIDATION_FAILED 422, NOT_FOUND 404,
// ALREADY_EXISTS 409, CONFLICT 409, NO_SESSION 409, PAIR_REJECTED 422,
// BAD_REQUEST 400, CLIENT_TIMEOUT 504, INTERNAL 500):
//
//	POST   /sandbox/v1/phones                       {"phone","name"} -> 201 PhoneDTO
//	GET    /sandbox/v1/phones                       -> [PhoneDTO]
//	GET    /sandbox/v1/phones/{phone}               -> PhoneDTO
//	POST   /sandbox/v1/phones/{phone}/scan          {"qr"} -> 200 {"device"} once paired
//	POST   /sandbox/v1/phones/{phone}/pair-code     {"code"} -> 200 {"device"} once paired
//	POST   /sandbox/v1/phones/{phone}/messages      SendRequest -> 201 {"id"}
//	GET    /sandbox/v1/phones/{phone}/messages      [?chat=] -> [ReceivedMessage]
//	GET    /sandbox/v1/phones/{phone}/receipts      -> [PhoneReceipt]
//	POST   /sandbox/v1/phones/{phone}/read          {"chat","ids"} -> 204
//	POST   /sandbox/v1/phones/{phone}/presence      {"available"} or {"to","state"} -> 204
//	DELETE /sandbox/v1/phones/{phone}/devices/{jid} -> 204 (client gets LoggedOut)
//	POST   /sandbox/v1/phones/{phone}/calls         {"to","video"} -> 201 {"callId"}; {"to","end":id} -> 204
//	GET    /sandbox/v1/phones/{phone}/calls         -> [CallEvent]
//	POST   /sandbox/v1/phones/{phone}/history-sync  {"device"?} -> 204
//	POST   /sandbox/v1/phones/{phone}/app-state-keys -> 204 (clients then sync chat settings)
//	POST   /sandbox/v1/phones/{phone}/chat-settings {"chat","archived"?,"pinned"?,"mutedForSec"?,"read"?} -> 204
//	POST   /sandbox/v1/phones/{phone}/contacts      {"contact","fullName","firstName"?} -> 204
//	POST   /sandbox/v1/groups                       {"phone","subject","members"} -> 201 GroupDTO
//	GET    /sandbox/v1/groups/{jid}                 -> GroupDTO
//	PATCH  /sandbox/v1/groups/{jid}                 {"phone","subject"?,"description"?,"announce"?,"locked"?,"leave"?} -> GroupDTO
//	POST   /sandbox/v1/groups/{jid}/participants    {"phone","action":"add|remove|promote|demote","participants"} -> GroupDTO
//	POST   /sandbox/v1/groups/{jid}/invite          {"phone","reset"} -> {"code","link"}
//	GET    /sandbox/v1/connections                  -> [Connection]
//	GET    /sandbox/v1/unhandled                    -> [UnhandledNode]
//
// # Limits
//
// State lives in memory: a restarted emulator forgets linked devices, and
// their clients get 401 (events.LoggedOut) on the next login. Stanzas address
// users by phone number unless Options.LIDChats (1:1) or Options.LIDGroups
// (groups) switch to LIDs as current WhatsApp does; phones' own records
// (inboxes, receipts) always use phone numbers. Clients
// can post statuses, phones cannot. App state (chat settings) syncs through
// the phones ([Phone.SendAppState]); external app state blobs and snapshots
// are not produced. Call media, newsletters and business features are not
// emulated; their IQs are answered with 501 and recorded as unhandled.
//
// Running the tests with -race reports a data race inside whatsmeow's
// FrameSocket (readPump against Close); the emulator itself is race-free.
package waemu
