package wa

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/services/session/internal/msgconv"
)

// MediaPolicy says which incoming media types are downloaded into the
// media store. The zero value downloads all of them.
type MediaPolicy struct {
	skip map[events.MessageType]bool
}

// ParseMediaPolicy parses a comma-separated list of types to download
// ("all", "none", or e.g. "image,voice,document").
func ParseMediaPolicy(s string) (MediaPolicy, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	all := []events.MessageType{events.TypeImage, events.TypeVideo, events.TypeAudio, events.TypeVoice, events.TypeDocument, events.TypeSticker}
	p := MediaPolicy{skip: map[events.MessageType]bool{}}
	if s == "" || s == "all" {
		return MediaPolicy{}, nil
	}
	for _, t := range all {
		p.skip[t] = true
	}
	if s == "none" {
		return p, nil
	}
	for _, part := range strings.Split(s, ",") {
		t := events.MessageType(strings.TrimSpace(part))
		if _, ok := p.skip[t]; !ok {
			return MediaPolicy{}, fmt.Errorf("media download policy: unknown type %q (want all, none or a list of %v)", t, all)
		}
		delete(p.skip, t)
	}
	return p, nil
}

// Allows reports whether media of type t is downloaded.
func (p MediaPolicy) Allows(t events.MessageType) bool { return !p.skip[t] }

// mediaIDFor derives a stable media id from the message, so a redelivered
// message overwrites the same object instead of storing a second copy.
func mediaIDFor(session, messageID string) string {
	sum := sha256.Sum256([]byte(session + "\x00" + messageID))
	return "med_" + hex.EncodeToString(sum[:12])
}

// storeIncoming downloads a message's media into the object store.
func (s *session) storeIncoming(ctx context.Context, messageID string, d *events.MessageData, raw *waE2E.Message) error {
	dl := msgconv.Downloadable(raw)
	if dl == nil || d.Media == nil || !s.m.cfg.Download.Allows(d.Type) {
		return nil
	}
	ctx, span := s.m.tracer.Start(ctx, "whatsapp.Download")
	defer span.End()
	data, err := s.cli().Download(ctx, dl)
	if err != nil {
		span.RecordError(err)
		return fmt.Errorf("download media: %w", err)
	}
	id := mediaIDFor(s.id, messageID)
	meta := jetstream.ObjectMeta{Name: ids.MediaObject(s.tenant, s.id, id),
		Headers: map[string][]string{"Content-Type": {d.Media.Mimetype}}}
	if d.Media.FileName != "" {
		meta.Headers["Content-Disposition"] = []string{mime.FormatMediaType("attachment", map[string]string{"filename": d.Media.FileName})}
	}
	if _, err := s.m.media.Put(ctx, meta, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("store media: %w", err)
	}
	d.Media.MediaID = id
	return nil
}

// permanentDownloadError reports download failures a redelivery cannot
// fix: the media is gone at WhatsApp (403/404/410, no URL) or its bytes do
// not match the message. Everything else (object store, network, 5xx) is
// temporary.
func permanentDownloadError(err error) bool {
	for _, target := range []error{whatsmeow.ErrMediaDownloadFailedWith403, whatsmeow.ErrMediaDownloadFailedWith404,
		whatsmeow.ErrMediaDownloadFailedWith410, whatsmeow.ErrNoURLPresent, whatsmeow.ErrFileLengthMismatch,
		whatsmeow.ErrTooShortFile, whatsmeow.ErrInvalidMediaHMAC, whatsmeow.ErrInvalidMediaEncSHA256,
		whatsmeow.ErrInvalidMediaSHA256, whatsmeow.ErrUnknownMediaType, whatsmeow.ErrNothingDownloadableFound} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// fetchMedia resolves an outgoing media reference to its bytes and type.
func (s *session) fetchMedia(ctx context.Context, ref *commands.MediaRef) ([]byte, string, string, error) {
	if ref == nil {
		return nil, "", "", badInput("media is missing")
	}
	var data []byte
	var ctype, name string
	var err error
	switch {
	case ref.MediaID != "":
		data, ctype, err = s.fromStore(ctx, ref.MediaID)
	case ref.Base64 != "":
		data, err = base64.StdEncoding.DecodeString(ref.Base64)
		if err != nil {
			err = badInput("media base64: %v", err)
		}
	case ref.URL != "":
		data, ctype, err = s.fromURL(ctx, ref.URL)
		name = path.Base(strings.SplitN(ref.URL, "?", 2)[0])
	default:
		err = badInput("media needs one of mediaId, url or base64")
	}
	if err != nil {
		return nil, "", "", err
	}
	if ref.Mimetype != "" {
		ctype = ref.Mimetype
	}
	if ctype == "" || ctype == "application/octet-stream" {
		ctype = http.DetectContentType(data)
	}
	if ref.FileName != "" {
		name = ref.FileName
	}
	return data, ctype, name, nil
}

func (s *session) fromStore(ctx context.Context, mediaID string) ([]byte, string, error) {
	if !ids.Valid(mediaID) {
		return nil, "", badInput("media id %q is malformed", mediaID)
	}
	name := ids.MediaObject(s.tenant, s.id, mediaID)
	info, err := s.m.media.GetInfo(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, "", final(commands.CodeNotFound, "media "+mediaID+" not found", nil)
	}
	if err != nil {
		return nil, "", transient("media info", err)
	}
	data, err := s.m.media.GetBytes(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, "", final(commands.CodeNotFound, "media "+mediaID+" not found", nil)
	}
	if err != nil {
		return nil, "", transient("read media", err)
	}
	return data, info.Headers.Get("Content-Type"), nil
}

// fromURL fetches media through the SSRF-guarded client.
func (s *session) fromURL(ctx context.Context, raw string) ([]byte, string, error) {
	if !strings.HasPrefix(raw, "http://") && !strings.HasPrefix(raw, "https://") {
		return nil, "", badInput("media url must be http(s)")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, "", badInput("media url: %v", err)
	}
	resp, err := s.m.fetch.Do(req)
	if err != nil {
		return nil, "", final(commands.CodeValidation, "media url could not be fetched", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", final(commands.CodeValidation, "media url could not be fetched", fmt.Errorf("status %s", resp.Status))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, s.m.cfg.MaxMediaBytes+1))
	if err != nil {
		return nil, "", transient("read media url", err)
	}
	if int64(len(data)) > s.m.cfg.MaxMediaBytes {
		return nil, "", final(commands.CodeValidation, "media is too large", fmt.Errorf("more than %d bytes", s.m.cfg.MaxMediaBytes))
	}
	return data, resp.Header.Get("Content-Type"), nil
}
