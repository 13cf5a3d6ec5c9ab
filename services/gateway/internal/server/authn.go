package server

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/services/gateway/internal/auth"
)

// Principal is who is calling.
type Principal struct {
	Admin   bool     // the admin key
	Tenant  string   // tenant of a key or token
	ID      string   // key or token id (rate limit bucket)
	Scopes  []string // granted scopes
	Session string   // set for session tokens: the only session allowed
}

const principalKey = "wamesh.principal"

func principalOf(c echo.Context) Principal {
	p, _ := c.Get(principalKey).(Principal)
	return p
}

// credential returns the key from Authorization: Bearer or X-API-Key.
func credential(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return strings.TrimSpace(k)
	}
	h := r.Header.Get(echo.HeaderAuthorization)
	if v, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	if h != "" {
		return "\x00malformed"
	}
	return ""
}

func needsAuth(path string) bool {
	return strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/sandbox/")
}

// authenticate resolves the caller from memory (KV caches): missing -> 401,
// invalid -> 403, then the route's scope is checked.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		path := c.Request().URL.Path
		if !needsAuth(path) {
			return next(c)
		}
		cred := credential(c.Request())
		if cred == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="wamesh"`)
			return problem(http.StatusUnauthorized, codeUnauthorized, "missing credentials: send Authorization: Bearer <key> or X-API-Key")
		}
		p, ok := s.resolve(cred)
		if !ok {
			return problem(http.StatusForbidden, codeForbidden, "invalid, expired or revoked credentials")
		}
		if err := authorize(p, c.Request().Method, path); err != nil {
			return err
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

func (s *Server) resolve(cred string) (Principal, bool) {
	if s.opts.AdminKey != "" && subtle.ConstantTimeCompare([]byte(cred), []byte(s.opts.AdminKey)) == 1 {
		return Principal{Admin: true, ID: "admin"}, true
	}
	switch {
	case strings.HasPrefix(cred, auth.KeyPrefix):
		return s.resolveKey(cred)
	case strings.Count(cred, ".") == 2:
		return s.resolveToken(cred)
	}
	return Principal{}, false
}

func (s *Server) resolveKey(key string) (Principal, bool) {
	if auth.CheckKey(key) != nil {
		return Principal{}, false
	}
	k, ok := s.keys.Get(auth.HashKey(key))
	if !ok || k.Revoked || (k.ExpiresAt != nil && time.Now().After(*k.ExpiresAt)) || !s.tenantActive(k.Tenant, k.CreatedAt) {
		return Principal{}, false
	}
	return Principal{Tenant: k.Tenant, ID: k.ID, Scopes: k.Scopes}, true
}

func (s *Server) resolveToken(tok string) (Principal, bool) {
	c, err := s.tokens.Verify(tok)
	if err != nil {
		return Principal{}, false
	}
	rec, ok := s.tokRecs.Get(c.ID)
	if !ok || rec.Revoked || rec.Tenant != c.Tenant || rec.Session != c.Session || !s.tenantActive(c.Tenant, rec.CreatedAt) {
		return Principal{}, false
	}
	// a token outlives neither its session nor a deletion: one minted before
	// the session (re)appeared under the same id is refused
	if sess, ok := s.sessions.Get(c.Session); !ok || sess.Tenant != c.Tenant || rec.CreatedAt.Before(sess.CreatedAt) {
		return Principal{}, false
	}
	return Principal{Tenant: c.Tenant, ID: c.ID, Scopes: rec.Scopes, Session: c.Session}, true
}

// tenantActive: the tenant exists, is enabled, and the credential created
// at issued belongs to it, not to an earlier tenant deleted under the same id.
func (s *Server) tenantActive(id string, issued time.Time) bool {
	t, ok := s.tenants.Get(id)
	return ok && !t.Disabled && !issued.Before(t.CreatedAt)
}

// requiredScope is the scope a tenant credential needs for a route.
func requiredScope(method, path string) string {
	switch {
	case method == http.MethodGet || method == http.MethodHead, strings.HasSuffix(path, "/contacts/check"):
		return control.ScopeRead
	case strings.Contains(path, "/chats/"), strings.HasSuffix(path, "/media"):
		return control.ScopeSend
	default:
		return control.ScopeManage
	}
}

func authorize(p Principal, method, path string) error {
	if p.Admin {
		if strings.HasPrefix(path, "/v1/tenants") || strings.HasPrefix(path, "/sandbox/") {
			return nil
		}
		return problem(http.StatusForbidden, codeForbidden, "the admin key manages tenants; use a tenant API key for this route")
	}
	if strings.HasPrefix(path, "/v1/tenants") || strings.HasPrefix(path, "/sandbox/") {
		return problem(http.StatusForbidden, codeForbidden, "this route needs the admin key")
	}
	if p.Session != "" && !sessionTokenAllowed(method, path) {
		return problem(http.StatusForbidden, codeForbidden, "a session token only acts on its own session")
	}
	scope := requiredScope(method, path)
	if !slices.Contains(p.Scopes, scope) {
		return problem(http.StatusForbidden, codeForbidden, "credentials lack the "+scope+" scope")
	}
	return nil
}

// sessionTokenAllowed: session tokens reach their session's routes and live
// events (both checked against the token's session later), never tokens.
func sessionTokenAllowed(method, path string) bool {
	if path == "/v1/events" || path == "/v1/ws" || (path == "/v1/sessions" && method == http.MethodGet) {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/v1/sessions/")
	return ok && rest != "" && !strings.Contains(rest, "/tokens")
}
