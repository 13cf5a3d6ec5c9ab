package waemu

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.mau.fi/whatsmeow"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/util/cbcutil"
	"go.mau.fi/whatsmeow/util/hkdfutil"
)

// mediaHost is the host name media URLs use; every host reaches this server.
const mediaHost = "mmg.whatsapp.net"

// mediaBlob is an uploaded, still encrypted attachment.
type mediaBlob struct {
	data     []byte
	mmsType  string
	uploaded time.Time
}

const maxMediaSize = 64 << 20

func (s *Server) mediaAuth() string {
	return base64.RawURLEncoding.EncodeToString(s.static.Pub[:12])
}

func (s *Server) handleMediaConn(*conn, *waBinary.Node) ([]waBinary.Node, *iqError) {
	return []waBinary.Node{{Tag: "media_conn", Attrs: waBinary.Attrs{
		"auth": s.mediaAuth(), "ttl": "3600", "auth_ttl": "21600", "max_buckets": "12",
	}, Content: []waBinary.Node{{Tag: "host", Attrs: waBinary.Attrs{"hostname": mediaHost}}}}}, nil
}

type uploadResponse struct {
	URL        string `json:"url"`
	DirectPath string `json:"direct_path"`
	Handle     string `json:"handle,omitempty"`
	ObjectID   string `json:"object_id,omitempty"`
}

func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	if status := s.faults.mediaFailure(); status != 0 {
		http.Error(w, "injected failure", status)
		return
	}
	if r.URL.Query().Get("auth") != s.mediaAuth() {
		http.Error(w, "bad auth", http.StatusUnauthorized)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxMediaSize+1))
	if err != nil || len(data) > maxMediaSize {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	want, err := base64.URLEncoding.DecodeString(r.PathValue("token"))
	sum := sha256.Sum256(data)
	if err != nil || !bytes.Equal(want, sum[:]) {
		http.Error(w, "hash mismatch", http.StatusBadRequest)
		return
	}
	path := s.storeBlob(data, r.PathValue("type"))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(uploadResponse{URL: "https://" + mediaHost + path, DirectPath: path, ObjectID: path})
}

// storeBlob keeps encrypted media and returns its direct path.
func (s *Server) storeBlob(data []byte, mmsType string) string {
	path := "/mms-dl/" + randomB64(18) + "?ccb=11-4"
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	s.media[path] = &mediaBlob{data: data, mmsType: mmsType, uploaded: time.Now()}
	return path
}

// blob returns a copy of a stored blob: decryption (cbcutil.Decrypt) works
// in place, and the stored ciphertext must survive any number of downloads.
func (s *Server) blob(directPath string) ([]byte, bool) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	b, ok := s.media[directPath]
	if !ok {
		return nil, false
	}
	return bytes.Clone(b.data), true
}

func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {
	if status := s.faults.mediaFailure(); status != 0 {
		http.Error(w, "injected failure", status)
		return
	}
	data, ok := s.blob("/mms-dl/" + r.PathValue("id") + "?ccb=11-4")
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

// encryptedMedia is the result of encrypting an attachment like a client does.
type encryptedMedia struct {
	mediaKey, fileSHA256, fileEncSHA256 []byte
	directPath                          string
	length                              uint64
}

func mediaKeys(mediaKey []byte, typ whatsmeow.MediaType) (iv, cipherKey, macKey []byte) {
	x := hkdfutil.SHA256(mediaKey, nil, []byte(typ), 112)
	return x[:16], x[16:48], x[48:80]
}

// uploadMedia encrypts plaintext and stores it as if a phone uploaded it.
func (s *Server) uploadMedia(plaintext []byte, typ whatsmeow.MediaType) (encryptedMedia, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	iv, cipherKey, macKey := mediaKeys(key, typ)
	ct, err := cbcutil.Encrypt(cipherKey, iv, plaintext)
	if err != nil {
		return encryptedMedia{}, fmt.Errorf("encrypt media: %w", err)
	}
	mac := hmac.New(sha256.New, macKey)
	mac.Write(iv)
	mac.Write(ct)
	blob := append(ct, mac.Sum(nil)[:10]...)
	plainSum, encSum := sha256.Sum256(plaintext), sha256.Sum256(blob)
	return encryptedMedia{
		mediaKey: key, fileSHA256: plainSum[:], fileEncSHA256: encSum[:],
		directPath: s.storeBlob(blob, string(typ)), length: uint64(len(plaintext)),
	}, nil
}

// downloadMedia fetches and decrypts a stored blob, checking MAC and hashes.
func (s *Server) downloadMedia(directPath string, mediaKey, fileSHA256 []byte, typ whatsmeow.MediaType) ([]byte, error) {
	blob, ok := s.blob(directPath)
	if !ok {
		return nil, fmt.Errorf("media %s: %w", directPath, ErrNotFound)
	}
	if len(blob) < 10 {
		return nil, fmt.Errorf("media too short: %w", ErrInvalid)
	}
	iv, cipherKey, macKey := mediaKeys(mediaKey, typ)
	ct, gotMAC := blob[:len(blob)-10], blob[len(blob)-10:]
	mac := hmac.New(sha256.New, macKey)
	mac.Write(iv)
	mac.Write(ct)
	if !hmac.Equal(mac.Sum(nil)[:10], gotMAC) {
		return nil, errors.New("waemu: media mac mismatch")
	}
	pt, err := cbcutil.Decrypt(cipherKey, iv, ct)
	if err != nil {
		return nil, fmt.Errorf("decrypt media: %w", err)
	}
	if sum := sha256.Sum256(pt); len(fileSHA256) == 32 && !bytes.Equal(sum[:], fileSHA256) {
		return nil, errors.New("waemu: media sha256 mismatch")
	}
	return pt, nil
}
