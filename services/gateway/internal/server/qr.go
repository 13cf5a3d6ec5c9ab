package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/jid"
	"github.com/wamesh/wamesh/services/gateway/api"
)

// qrPNGSize is the edge of the PNG in pixels.
const qrPNGSize = 320

// GetQR returns the current QR code from the live state (or asks the owner),
// as JSON or, with Accept: image/png or ?format=png, as a PNG.
func (s *Server) GetQR(c echo.Context, id api.SessionParam, params api.GetQRParams) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	qr, err := s.currentQR(c, sess)
	if err != nil {
		return err
	}
	wantPNG := params.Format != nil && *params.Format == api.Png
	if params.Format == nil && strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "image/png") {
		wantPNG = true
	}
	if !wantPNG {
		return c.JSON(http.StatusOK, qr)
	}
	if qr.Code == "" {
		return problem(http.StatusConflict, codeQRUnavailable, "no QR code to show; session status is "+qr.Status)
	}
	png, err := qrcode.Encode(qr.Code, qrcode.Medium, qrPNGSize)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.Blob(http.StatusOK, "image/png", png)
}

func (s *Server) currentQR(c echo.Context, sess control.Session) (commands.QRResponse, error) {
	if st, ok := s.states.Get(sess.ID); ok && st.Tenant == sess.Tenant {
		if st.Status == control.StatusQR && st.QR != "" && (st.QRExpiresAt == nil || st.QRExpiresAt.After(time.Now())) {
			return commands.QRResponse{Code: st.QR, ExpiresAt: deref(st.QRExpiresAt), Status: st.Status}, nil
		}
		if st.Status == control.StatusConnected {
			return commands.QRResponse{Status: st.Status}, nil
		}
	}
	var out commands.QRResponse
	err := s.rpc(c, sess, commands.OpQR, commands.TimeoutLocal, nil, &out)
	return out, err
}

type pairCodeIn struct {
	Phone string `json:"phone"`
}

// PairCode asks the owner for a pairing code for a phone number.
func (s *Server) PairCode(c echo.Context, id api.SessionParam) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	var in pairCodeIn
	if err := decode(c, &in); err != nil {
		return err
	}
	digits, err := jid.PhoneDigits(in.Phone)
	if err != nil {
		return validation("phone: " + err.Error())
	}
	var out commands.PairCodeResponse
	if err := s.rpc(c, sess, commands.OpPairCode, commands.TimeoutWhatsApp, commands.PairCodeRequest{Phone: digits}, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
