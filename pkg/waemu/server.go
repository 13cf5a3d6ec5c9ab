package waemu

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.mau.fi/whatsmeow"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/util/keys"
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// RootKey signs the Noise certificate chain; nil means DefaultRootKey.
	RootKey *RootKey
	// Addr is the listen address; empty means a free loopback port.
	Addr string
	// HistorySyncOnLink makes a phone send a newly linked client an initial
	// history sync (events.HistorySync), as the phone app does.
	HistorySyncOnLink bool
	// AppStateOnLink makes a phone share its app state key with a newly
	// linked client, which then syncs chat settings (archive, pin, mute...).
	AppStateOnLink bool
	// LIDChats makes 1:1 stanzas from phones and clients come from the
	// sender's LID (with sender_pn), as current WhatsApp does; the default is
	// the phone number (with sender_lid).
	LIDChats bool
	// LIDGroups makes groups use LID addressing ("addressing_mode=lid"), as
	// current WhatsApp groups do; the default is phone-number addressing.
	LIDGroups bool
}

// Server is a running emulator. All methods are safe for concurrent use.
type Server struct {
	opts     Options
	log      *slog.Logger
	root     RootKey
	static   *keys.KeyPair
	chain    []byte
	tls      *tlsMaterial
	listener net.Listener
	http     *http.Server
	client   *http.Client
	ctx      context.Context
	cancel   context.CancelFunc

	// appStateOnce opens appStateDB (the phones' app state) on first use.
	appStateOnce sync.Once
	appStateDB   *sqlstore.Container
	appStateErr  error

	connSeq atomic.Uint64
	idSeq   atomic.Uint64
	faults  faults

	// stateMu guards every map and slice below.
	stateMu     sync.Mutex
	phones      map[string]*Phone           // by phone number digits
	phonesByLID map[string]*Phone           // by LID user
	devices     map[types.JID]*linkedDevice // by companion AD JID (PN server)
	conns       map[types.JID]*conn         // live authenticated conns by device
	allConns    map[*conn]struct{}          // every open conn
	pendingRefs map[string]*conn            // QR ref -> registering conn
	codePairs   map[string]*codePairing     // phone digits -> pending pairing code
	groups      map[types.JID]*group
	media       map[string]*mediaBlob     // by direct path
	pictures    map[types.JID]*picture    // profile and group photos
	blocked     map[types.JID][]types.JID // account -> blocked users
	appState    map[string][][]byte       // account|collection -> versioned patches
	unhandled   []UnhandledNode
	receipts    []ClientReceipt
	presences   []ClientPresence
	offline     map[types.JID][]waBinary.Node // queued for offline devices
	lidSeq      uint64
}

// Start starts an emulator listening on Options.Addr (default 127.0.0.1:0).
// It stops when ctx is done or Close is called.
func Start(ctx context.Context, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	root := DefaultRootKey()
	if opts.RootKey != nil {
		root = *opts.RootKey
	}
	now := time.Now()
	static := keys.NewKeyPair()
	chain, err := buildCertChain(root, *static.Pub, now)
	if err != nil {
		return nil, fmt.Errorf("build noise certs: %w", err)
	}
	tm, err := newTLSMaterial(now)
	if err != nil {
		return nil, fmt.Errorf("build tls certs: %w", err)
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{
		opts: opts, log: log, root: root, static: static, chain: chain, tls: tm, listener: ln,
		phones: map[string]*Phone{}, phonesByLID: map[string]*Phone{},
		devices: map[types.JID]*linkedDevice{}, conns: map[types.JID]*conn{},
		allConns: map[*conn]struct{}{}, pendingRefs: map[string]*conn{},
		codePairs: map[string]*codePairing{}, groups: map[types.JID]*group{},
		media: map[string]*mediaBlob{}, pictures: map[types.JID]*picture{}, blocked: map[types.JID][]types.JID{}, appState: map[string][][]byte{}, offline: map[types.JID][]waBinary.Node{},
		lidSeq: 100000000000000,
	}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.client = newHTTPClient(ln.Addr().String(), tm.pool)
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go func() {
		err := s.http.Serve(tls.NewListener(ln, tm.serverConfig()))
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("waemu: serve", "err", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.ctx.Done():
		}
	}()
	return s, nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws/chat", s.serveWebsocket)
	mux.HandleFunc("POST /mms/{type}/{token}", s.serveUpload)
	mux.HandleFunc("GET /mms-dl/{id}", s.serveDownload)
	mux.HandleFunc("GET /pp/{jid}", s.servePicture)
	return mux
}

// Addr returns the listener address (host:port).
func (s *Server) Addr() string { return s.listener.Addr().String() }

// RootPublicKey is the public key to install as whatsmeow.WACertPubKey.
func (s *Server) RootPublicKey() [32]byte { return s.root.PublicKey() }

// HTTPClient returns a client that reaches this server whatever the URL host
// is, trusting the server's own CA.
func (s *Server) HTTPClient() *http.Client { return s.client }

// Configure points cli at the emulator by replacing its websocket, pre-login
// and media HTTP clients. Call it before Connect and after any SetProxy.
func (s *Server) Configure(cli *whatsmeow.Client) {
	cli.SetWebsocketHTTPClient(s.client)
	cli.SetPreLoginHTTPClient(s.client)
	cli.SetMediaHTTPClient(s.client)
}

// Close stops the listener and drops every connection.
func (s *Server) Close() error {
	if s.ctx.Err() != nil {
		return nil
	}
	s.cancel()
	s.appStateOnce.Do(func() {}) // waits for a concurrent open; later opens fail
	if s.appStateDB != nil {
		_ = s.appStateDB.Close()
	}
	s.stateMu.Lock()
	conns := make([]*conn, 0, len(s.allConns))
	for c := range s.allConns {
		conns = append(conns, c)
	}
	s.stateMu.Unlock()
	for _, c := range conns {
		c.close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown http: %w", err)
	}
	return nil
}

// nextID returns a unique stanza id.
func (s *Server) nextID() string {
	return fmt.Sprintf("WAEMU%08X", s.idSeq.Add(1))
}
