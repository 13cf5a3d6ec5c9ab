package server

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/services/gateway/api"
)

// Object metadata keys of stored media.
const (
	metaMimetype = "mimetype"
	metaFileName = "filename"
)

// mediaInfo describes a stored object.
type mediaInfo struct {
	ID       string `json:"id"`
	Mimetype string `json:"mimetype"`
	Size     int64  `json:"size"`
	FileName string `json:"fileName,omitempty"`
}

var errMediaNotFound = problem(http.StatusNotFound, codeMediaNotFound, "no such media")

// storeMedia streams r into the object store under a new media id. The
// content type is taken from mimetype or sniffed from the first bytes. A
// failure to read r is wrapped in errUploadRead; see uploadError.
func (s *Server) storeMedia(ctx context.Context, sess control.Session, r io.Reader, mimetype, fileName string) (mediaInfo, error) {
	upload := &uploadReader{r: r}
	br := bufio.NewReaderSize(upload, 512)
	if mimetype == "" || mimetype == "application/octet-stream" {
		head, _ := br.Peek(512)
		mimetype = http.DetectContentType(head)
	}
	id := ids.NewMediaID()
	meta := jetstream.ObjectMeta{
		Name:     ids.MediaObject(sess.Tenant, sess.ID, id),
		Headers:  nats.Header{"Content-Type": []string{mimetype}},
		Metadata: map[string]string{metaMimetype: mimetype, metaFileName: fileName},
	}
	info, err := s.media.Put(ctx, meta, br)
	if upload.err != nil {
		return mediaInfo{}, fmt.Errorf("%w: %w", errUploadRead, upload.err)
	}
	if err != nil {
		return mediaInfo{}, fmt.Errorf("store media: %w", err)
	}
	return mediaInfo{ID: id, Mimetype: mimetype, Size: int64(info.Size), FileName: fileName}, nil
}

// uploadReader remembers the error of the client's body, to tell it from
// an object store failure.
type uploadReader struct {
	r   io.Reader
	err error // first error other than io.EOF
}

func (u *uploadReader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if err != nil && err != io.EOF && u.err == nil {
		u.err = err
	}
	return n, err
}

// uploadError maps a storeMedia failure: 413 for a body over the limit, 400
// when the client's body could not be read. An object store failure is
// returned as is: 500 INTERNAL, logged, never blamed on the client.
func uploadError(err error) error {
	if errors.Is(err, errUploadRead) {
		return multipartError(err)
	}
	return err
}

// storeBase64 moves inline base64 content into the object store so commands
// stay small.
func (s *Server) storeBase64(ctx context.Context, sess control.Session, ref *commands.MediaRef) (*commands.MediaRef, error) {
	raw, err := base64.StdEncoding.DecodeString(ref.Base64)
	if err != nil {
		return nil, validation("media.base64: not valid base64")
	}
	info, err := s.storeMedia(ctx, sess, strings.NewReader(string(raw)), ref.Mimetype, ref.FileName)
	if err != nil {
		return nil, err
	}
	return &commands.MediaRef{MediaID: info.ID, Mimetype: info.Mimetype, FileName: ref.FileName}, nil
}

func (s *Server) mediaExists(ctx context.Context, sess control.Session, id string) error {
	if _, err := s.media.GetInfo(ctx, ids.MediaObject(sess.Tenant, sess.ID, id)); err != nil {
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			return validation("media.mediaId: no such media in this session")
		}
		return fmt.Errorf("media info: %w", err)
	}
	return nil
}

// UploadMedia stores a multipart file part and returns its media id.
func (s *Server) UploadMedia(c echo.Context, id api.SessionParam) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	mr, err := multipartReader(c)
	if err != nil {
		return err
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return validation("file: required")
		}
		if err != nil {
			return multipartError(err)
		}
		if part.FormName() != "file" {
			continue
		}
		info, err := s.storeMedia(c.Request().Context(), sess, part, part.Header.Get(echo.HeaderContentType), part.FileName())
		if err != nil {
			return uploadError(err)
		}
		return c.JSON(http.StatusCreated, info)
	}
}

// DownloadMedia streams a stored object with its content type and
// single-range support.
func (s *Server) DownloadMedia(c echo.Context, id api.SessionParam, media api.ID, params api.DownloadMediaParams) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	obj, err := s.media.Get(ctx, ids.MediaObject(sess.Tenant, sess.ID, media))
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return errMediaNotFound
	}
	if err != nil {
		return fmt.Errorf("get media: %w", err)
	}
	defer obj.Close()
	info, err := obj.Info()
	if err != nil {
		return fmt.Errorf("media info: %w", err)
	}
	size := int64(info.Size)
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, contentTypeOf(info))
	h.Set("Accept-Ranges", "bytes")
	if fn := info.Metadata[metaFileName]; fn != "" {
		h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("inline", map[string]string{"filename": fn}))
	}
	start, length, partial, err := parseRange(deref(params.Range), size)
	if err != nil {
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
		return problem(http.StatusRequestedRangeNotSatisfiable, "RANGE_NOT_SATISFIABLE", err.Error())
	}
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, size))
		if _, err := io.CopyN(io.Discard, obj, start); err != nil {
			return fmt.Errorf("skip to range: %w", err)
		}
	}
	h.Set(echo.HeaderContentLength, strconv.FormatInt(length, 10))
	c.Response().WriteHeader(status)
	_, err = io.CopyN(c.Response(), obj, length)
	return err
}

func contentTypeOf(info *jetstream.ObjectInfo) string {
	if info.Headers != nil {
		if ct := info.Headers.Get("Content-Type"); ct != "" {
			return ct
		}
	}
	if ct := info.Metadata[metaMimetype]; ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// parseRange understands one range: "bytes=a-b", "bytes=a-", "bytes=-n".
// Several ranges are served as the whole body (allowed by RFC 9110).
func parseRange(h string, size int64) (start, length int64, partial bool, err error) {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if h == "" || !ok || strings.Contains(spec, ",") {
		return 0, size, false, nil
	}
	a, b, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, 0, false, errors.New("malformed range")
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false, errors.New("malformed suffix range")
		}
		n = min(n, size)
		return size - n, n, true, nil
	}
	start, err = strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false, errors.New("range start beyond the end")
	}
	end := size - 1
	if b != "" {
		e, err := strconv.ParseInt(b, 10, 64)
		if err != nil || e < start {
			return 0, 0, false, errors.New("malformed range end")
		}
		end = min(e, size-1)
	}
	return start, end - start + 1, true, nil
}
