package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/services/gateway/api"
	"github.com/wamesh/wamesh/services/gateway/internal/auth"
)

var errTenantNotFound = problem(http.StatusNotFound, codeTenantNotFound, "no such tenant")

type tenantCreate struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	MaxSessions int               `json:"maxSessions"`
	RateLimit   int               `json:"rateLimit"`
	Metadata    map[string]string `json:"metadata"`
}

// CreateTenant stores a new tenant (admin).
func (s *Server) CreateTenant(c echo.Context) error {
	var in tenantCreate
	if err := decode(c, &in); err != nil {
		return err
	}
	now := time.Now().UTC()
	t := control.Tenant{ID: in.ID, Name: in.Name, MaxSessions: in.MaxSessions, RateLimit: in.RateLimit,
		Metadata: in.Metadata, CreatedAt: now, UpdatedAt: now}
	ctx, cancel := writeCtx(c)
	defer cancel()
	rev, err := control.Create(ctx, s.kv.tenants, t.ID, t)
	if isKeyExists(err) {
		return problem(http.StatusConflict, "CONFLICT", "tenant "+t.ID+" exists")
	}
	if err != nil {
		return err
	}
	if err := s.tenants.waitRev(ctx, t.ID, rev); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, t)
}

// ListTenants lists every tenant (admin).
func (s *Server) ListTenants(c echo.Context) error {
	all := s.tenants.All(nil)
	out := make([]control.Tenant, 0, len(all))
	for _, t := range all {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// GetTenant returns one tenant (admin).
func (s *Server) GetTenant(c echo.Context, id api.TenantParam) error {
	t, ok := s.tenants.Get(id)
	if !ok {
		return errTenantNotFound
	}
	return c.JSON(http.StatusOK, t)
}

type tenantUpdate struct {
	Name        *string            `json:"name"`
	MaxSessions *int               `json:"maxSessions"`
	RateLimit   *int               `json:"rateLimit"`
	Disabled    *bool              `json:"disabled"`
	Metadata    *map[string]string `json:"metadata"`
}

// UpdateTenant patches a tenant (admin).
func (s *Server) UpdateTenant(c echo.Context, id api.TenantParam) error {
	var in tenantUpdate
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx, cancel := writeCtx(c)
	defer cancel()
	t, rev, err := control.Get[control.Tenant](ctx, s.kv.tenants, id)
	if err == control.ErrNotFound {
		return errTenantNotFound
	}
	if err != nil {
		return err
	}
	t.Name = ptrOr(in.Name, t.Name)
	t.MaxSessions = ptrOr(in.MaxSessions, t.MaxSessions)
	t.RateLimit = ptrOr(in.RateLimit, t.RateLimit)
	t.Disabled = ptrOr(in.Disabled, t.Disabled)
	t.Metadata = ptrOr(in.Metadata, t.Metadata)
	t.UpdatedAt = time.Now().UTC()
	nrev, err := control.Update(ctx, s.kv.tenants, id, t, rev)
	if err != nil {
		return problem(http.StatusConflict, "CONFLICT", "tenant changed concurrently; retry")
	}
	if err := s.tenants.waitRev(ctx, id, nrev); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// DeleteTenant removes a tenant with its API keys, session tokens and
// webhooks, so a tenant re-created under the same id starts empty. A tenant
// that still has sessions is refused: they own devices and data.
func (s *Server) DeleteTenant(c echo.Context, id api.TenantParam) error {
	if _, ok := s.tenants.Get(id); !ok {
		return errTenantNotFound
	}
	if n := s.countSessions(id); n > 0 {
		return problem(http.StatusConflict, "CONFLICT", "the tenant still has sessions; delete them first")
	}
	ctx, cancel := writeCtx(c)
	defer cancel()
	if err := s.deleteTenantCredentials(ctx, id); err != nil {
		return err
	}
	if err := s.kv.tenants.Delete(ctx, id); err != nil {
		return fmt.Errorf("delete tenant: %w", err)
	}
	if err := s.tenants.waitGone(ctx, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// deleteTenantCredentials deletes the tenant's API keys, session tokens and
// webhooks. It runs before the tenant record goes, so a failure leaves the
// tenant in place and the delete can be retried.
func (s *Server) deleteTenantCredentials(ctx context.Context, tenant string) error {
	keys := s.keys.All(func(_ string, k control.APIKey) bool { return k.Tenant == tenant })
	if err := deleteKeys(ctx, s.kv.keys, keys); err != nil {
		return err
	}
	toks := s.tokRecs.All(func(_ string, r TokenRecord) bool { return r.Tenant == tenant })
	if err := deleteKeys(ctx, s.kv.tokens, toks); err != nil {
		return err
	}
	hooks := s.webhooks.All(func(_ string, w control.Webhook) bool { return w.Tenant == tenant })
	return deleteKeys(ctx, s.kv.webhooks, hooks)
}

// deleteKeys deletes every key of m from kv; one already gone is fine.
func deleteKeys[T any](ctx context.Context, kv jetstream.KeyValue, m map[string]T) error {
	for k := range m {
		if err := kv.Delete(ctx, k); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("delete %s/%s: %w", kv.Bucket(), k, err)
		}
	}
	return nil
}

type keyCreate struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expiresAt"`
}

type keyCreated struct {
	control.APIKey
	Key string `json:"key"`
}

// CreateKey mints a tenant API key; the key is in this response only.
func (s *Server) CreateKey(c echo.Context, tenant api.TenantParam) error {
	var in keyCreate
	if err := decode(c, &in); err != nil {
		return err
	}
	if _, ok := s.tenants.Get(tenant); !ok {
		return errTenantNotFound
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(time.Now()) {
		return validation("expiresAt: must be in the future")
	}
	raw := auth.NewKey()
	slices.Sort(in.Scopes)
	k := control.APIKey{ID: ids.New("key"), Tenant: tenant, Name: in.Name, Prefix: auth.KeyDisplayPrefix(raw),
		Scopes: slices.Compact(in.Scopes), ExpiresAt: in.ExpiresAt, CreatedAt: time.Now().UTC()}
	ctx, cancel := writeCtx(c)
	defer cancel()
	hash := auth.HashKey(raw)
	rev, err := control.Create(ctx, s.kv.keys, hash, k)
	if err != nil {
		return err
	}
	if err := s.keys.waitRev(ctx, hash, rev); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, keyCreated{APIKey: k, Key: raw})
}

// ListKeys lists a tenant's keys without secrets.
func (s *Server) ListKeys(c echo.Context, tenant api.TenantParam) error {
	if _, ok := s.tenants.Get(tenant); !ok {
		return errTenantNotFound
	}
	all := s.keys.All(func(_ string, k control.APIKey) bool { return k.Tenant == tenant })
	out := make([]control.APIKey, 0, len(all))
	for _, k := range all {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// RevokeKey marks a key revoked; it is refused from the next request on.
func (s *Server) RevokeKey(c echo.Context, tenant api.TenantParam, id api.ID) error {
	var hash string
	var key control.APIKey
	for h, k := range s.keys.All(func(_ string, k control.APIKey) bool { return k.Tenant == tenant && k.ID == id }) {
		hash, key = h, k
	}
	if hash == "" {
		return problem(http.StatusNotFound, "NOT_FOUND", "no such key")
	}
	key.Revoked = true
	ctx, cancel := writeCtx(c)
	defer cancel()
	rev, err := control.Put(ctx, s.kv.keys, hash, key)
	if err != nil {
		return err
	}
	if err := s.keys.waitRev(ctx, hash, rev); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func ptrOr[T any](p *T, v T) T {
	if p != nil {
		return *p
	}
	return v
}
