package server

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/httpx"
	"github.com/wamesh/wamesh/services/gateway/api"
)

// validator checks every /v1 request against the OpenAPI spec.
type validator struct {
	doc    *openapi3.T
	router routers.Router
}

func loadSpec() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec)
	if err != nil {
		return nil, fmt.Errorf("load openapi spec: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi spec is invalid: %w", err)
	}
	return doc, nil
}

func newValidator() (*validator, error) {
	doc, err := loadSpec()
	if err != nil {
		return nil, err
	}
	doc.Servers = nil
	dropSecurity(doc)
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi router: %w", err)
	}
	return &validator{doc: doc, router: r}, nil
}

// dropSecurity removes the security requirements from the validator's copy
// of the spec: authenticate checks credentials and scopes before validation
// runs, and kin-openapi would only call a no-op authentication function for
// each of them (about 1.5 µs a request).
func dropSecurity(doc *openapi3.T) {
	doc.Security = nil
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			op.Security = &openapi3.SecurityRequirements{}
		}
	}
}

// Validation options, shared by all requests (ValidateRequest only reads them).
var (
	validateAll = &openapi3filter.Options{
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		MultiError:         true,
	}
	validateNoBody = &openapi3filter.Options{
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		ExcludeRequestBody: true,
		MultiError:         true,
	}
)

// isUpload reports whether a content type is streamed rather than decoded:
// multipart forms and binary bodies are checked by their handlers.
func isUpload(contentType string) bool {
	mt := mediaType(contentType)
	return strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "image/") || mt == "application/octet-stream"
}

// mediaType is the media type of a Content-Type value, "" when it cannot
// be parsed. Plain JSON, the common case, is answered without parsing (and
// without the parameter map mime.ParseMediaType allocates).
func mediaType(contentType string) string {
	if contentType == echo.MIMEApplicationJSON {
		return contentType
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt
}

// streamedBody: the body is an upload the operation declares, checked by
// its handler while streaming. Any other content type is validated (and an
// undeclared one refused), so a JSON route cannot be reached unvalidated by
// sending it as multipart or image.
func streamedBody(route *routers.Route, contentType string) bool {
	if !isUpload(contentType) || route.Operation.RequestBody == nil || route.Operation.RequestBody.Value == nil {
		return false
	}
	return route.Operation.RequestBody.Value.Content.Get(mediaType(contentType)) != nil
}

func (v *validator) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			return next(c)
		}
		route, params, err := v.router.FindRoute(r)
		if err != nil {
			return next(c) // Echo answers 404/405
		}
		opts := validateAll
		if streamedBody(route, r.Header.Get(echo.HeaderContentType)) {
			opts = validateNoBody
		}
		in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
		if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
			return validationProblem(err)
		}
		return next(c)
	}
}

// validationProblem turns kin-openapi errors into 413, 415, 400 (unparsable)
// or 422 VALIDATION_FAILED with per-field errors.
func validationProblem(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return toProblem(mbe)
	}
	var fields []httpx.FieldError
	status := http.StatusUnprocessableEntity
	code := string(commands.CodeValidation)
	collect(err, &fields, &status, &code)
	p := problem(status, code, "the request does not match the API specification")
	if status == http.StatusUnprocessableEntity {
		p.Detail = "request validation failed"
	}
	p.Errors = fields
	return p
}

func collect(err error, fields *[]httpx.FieldError, status *int, code *string) {
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		for _, e := range multi {
			collect(e, fields, status, code)
		}
		return
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		*fields = append(*fields, httpx.FieldError{Field: "", Message: err.Error()})
		return
	}
	if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) || errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue) {
		*fields = append(*fields, httpx.FieldError{Field: fieldName(re, nil), Message: "is required"})
		return
	}
	var pe *openapi3filter.ParseError
	if errors.As(re.Err, &pe) && re.RequestBody != nil {
		*status, *code = http.StatusBadRequest, codeMalformed
		*fields = append(*fields, httpx.FieldError{Field: "body", Message: "cannot be parsed: " + pe.Error()})
		return
	}
	if strings.Contains(re.Reason, "header Content-Type has unexpected value") {
		*status, *code = http.StatusUnsupportedMediaType, codeUnsupportedMedia
	}
	var inner openapi3.MultiError
	if errors.As(re.Err, &inner) {
		for _, e := range inner {
			appendSchemaError(re, e, fields)
		}
		return
	}
	appendSchemaError(re, re.Err, fields)
}

func appendSchemaError(re *openapi3filter.RequestError, err error, fields *[]httpx.FieldError) {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		*fields = append(*fields, httpx.FieldError{Field: fieldName(re, se.JSONPointer()), Message: se.Reason})
		return
	}
	msg := re.Reason
	if err != nil {
		msg = err.Error()
	}
	*fields = append(*fields, httpx.FieldError{Field: fieldName(re, nil), Message: msg})
}

func fieldName(re *openapi3filter.RequestError, pointer []string) string {
	prefix := "body"
	if re.Parameter != nil {
		prefix = re.Parameter.In + "." + re.Parameter.Name
	}
	if len(pointer) == 0 {
		return prefix
	}
	return prefix + "." + strings.Join(pointer, ".")
}
