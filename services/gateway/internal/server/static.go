package server

import (
	"embed"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/services/gateway/api"
)

//go:embed static
var staticFiles embed.FS

// registerStatic serves the spec, the docs page and the dashboard, all
// embedded in the binary.
func (s *Server) registerStatic(e *echo.Echo) {
	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", api.Spec)
	})
	specJSON := mustSpecJSON()
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, specJSON)
	})
	page := func(name string) echo.HandlerFunc {
		b, err := staticFiles.ReadFile("static/" + name)
		if err != nil {
			panic("embedded page missing: " + name) // build-time invariant
		}
		return func(c echo.Context) error {
			c.Response().Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'")
			return c.HTMLBlob(http.StatusOK, b)
		}
	}
	e.GET("/docs", page("docs.html"))
	e.GET("/ui", page("ui.html"))
}

func mustSpecJSON() []byte {
	doc, err := loadSpec()
	if err != nil {
		panic(err) // the embedded spec is validated by tests
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}
