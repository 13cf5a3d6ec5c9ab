package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/httpx"
	"github.com/wamesh/wamesh/pkg/queries"
)

// Machine codes the gateway adds to the shared ones in pkg/commands.
const (
	codeUnauthorized     = "UNAUTHORIZED"       // no credentials (401)
	codeForbidden        = "FORBIDDEN"          // bad credentials or missing scope (403)
	codeMalformed        = "MALFORMED_REQUEST"  // body or parameter cannot be parsed (400)
	codeBodyTooLarge     = "BODY_TOO_LARGE"     // body over the limit (413)
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED" // (405)
	codeUnsupportedMedia = "UNSUPPORTED_MEDIA_TYPE"
	codeQuotaExceeded    = "QUOTA_EXCEEDED"   // tenant's session quota (409)
	codeTenantNotFound   = "TENANT_NOT_FOUND" // (404)
	codeWebhookNotFound  = "WEBHOOK_NOT_FOUND"
	codeMediaNotFound    = "MEDIA_NOT_FOUND"
	codeQRUnavailable    = "QR_UNAVAILABLE" // session is paired or not yet showing a QR (409)
)

// errUploadRead wraps a failure to read the client's upload, as opposed to
// a failure of the object store (see uploadError).
var errUploadRead = errors.New("read upload")

// problem builds a *httpx.Problem error.
func problem(status int, code, detail string) *httpx.Problem {
	return httpx.NewProblem(status, code, detail)
}

func validation(detail string) *httpx.Problem {
	return problem(http.StatusUnprocessableEntity, string(commands.CodeValidation), detail)
}

// statusOf maps the shared machine codes to HTTP statuses.
func statusOf(code commands.Code) int {
	switch code {
	case commands.CodeValidation:
		return http.StatusUnprocessableEntity
	case commands.CodeNotFound, commands.CodeSessionNotFound:
		return http.StatusNotFound
	case commands.CodeSessionNotConnected, commands.CodeConflict:
		return http.StatusConflict
	case commands.CodeSessionUnavailable, queries.CodeServiceUnavailable:
		return http.StatusServiceUnavailable
	case commands.CodeNotAGroup:
		return http.StatusBadRequest
	case commands.CodeTimeout:
		return http.StatusGatewayTimeout
	case commands.CodeWhatsApp:
		return http.StatusBadGateway
	case commands.CodeRateLimited:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// toProblem is the one place where errors become problem details.
func toProblem(err error) *httpx.Problem {
	var p *httpx.Problem
	var ce *commands.Error
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &mbe):
		return problem(http.StatusRequestEntityTooLarge, codeBodyTooLarge, "request body is larger than "+strconv.FormatInt(mbe.Limit, 10)+" bytes")
	case errors.As(err, &ce):
		detail := ce.Message
		if ce.Detail != "" {
			detail += ": " + ce.Detail
		}
		return problem(statusOf(ce.Code), string(ce.Code), detail)
	case errors.As(err, &he):
		return fromHTTPError(he)
	default:
		return problem(http.StatusInternalServerError, string(commands.CodeInternal), "internal error")
	}
}

func fromHTTPError(he *echo.HTTPError) *httpx.Problem {
	detail := http.StatusText(he.Code)
	if m, ok := he.Message.(string); ok {
		detail = m
	}
	switch he.Code {
	case http.StatusNotFound:
		return problem(he.Code, string(commands.CodeNotFound), "no such route")
	case http.StatusMethodNotAllowed:
		return problem(he.Code, codeMethodNotAllowed, "method not allowed on this route")
	case http.StatusRequestEntityTooLarge:
		return problem(he.Code, codeBodyTooLarge, "request body is too large")
	case http.StatusUnsupportedMediaType:
		return problem(he.Code, codeUnsupportedMedia, detail)
	case http.StatusUnauthorized:
		return problem(he.Code, codeUnauthorized, detail)
	case http.StatusForbidden:
		return problem(he.Code, codeForbidden, detail)
	case http.StatusBadRequest:
		return problem(he.Code, codeMalformed, detail)
	}
	if he.Code >= 500 {
		return problem(he.Code, string(commands.CodeInternal), "internal error")
	}
	return problem(he.Code, codeMalformed, detail)
}

// handleError is Echo's HTTPErrorHandler: every error leaves as problem+json.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := toProblem(err)
	if p.Status == http.StatusInternalServerError {
		s.log.ErrorContext(c.Request().Context(), "request failed", "err", err, "path", c.Path(), "method", c.Request().Method)
	}
	if p.Code == string(commands.CodeSessionUnavailable) || p.Code == string(queries.CodeServiceUnavailable) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(max(1, s.opts.SessionRetryAfter)))
	}
	if p.Instance == "" {
		p2 := *p
		p2.Instance = c.Request().URL.Path
		if id := c.Response().Header().Get(echo.HeaderXRequestID); id != "" {
			p2.Instance += "#" + id
		}
		p = &p2
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	httpx.WriteProblem(c.Response(), p)
}
