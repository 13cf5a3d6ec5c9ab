package server

import "github.com/labstack/echo/v4"

// ownership resolves the {session} and {webhook} path parameters against the
// caller before anything else looks at the request, so a foreign or unknown
// id is 404 on every route (no BOLA through validation or handler order).
func (s *Server) ownership(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if principalOf(c).Tenant == "" {
			return next(c)
		}
		if id := c.Param("session"); id != "" {
			if _, err := s.session(c, id); err != nil {
				return err
			}
		}
		if id := c.Param("webhook"); id != "" {
			if _, err := s.webhook(c, id); err != nil {
				return err
			}
		}
		return next(c)
	}
}
