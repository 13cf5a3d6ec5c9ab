package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/services/gateway/api"
)

// Gateway-owned KV buckets.
const (
	BucketTokens  = "wamesh_tokens"  // <token id> -> TokenRecord
	BucketGateway = "wamesh_gateway" // jwt-secret -> HS256 secret
	keyJWTSecret  = "jwt-secret"
)

// defaultTokenTTL is the lifetime of a session token when none is asked for.
const defaultTokenTTL = 24 * time.Hour

// TokenRecord makes a session token revocable: a token is accepted only
// while its record exists and is not revoked.
type TokenRecord struct {
	ID        string    `json:"id"`      // jti
	Tenant    string    `json:"tenant"`  // owner
	Session   string    `json:"session"` // the only session it may act on
	Scopes    []string  `json:"scopes"`  // granted scopes
	ExpiresAt time.Time `json:"expiresAt"`
	Revoked   bool      `json:"revoked"`
	CreatedAt time.Time `json:"createdAt"`
}

// EnsureBuckets creates the gateway's own KV buckets (idempotent).
func EnsureBuckets(ctx context.Context, js jetstream.JetStream, replicas int) error {
	for _, name := range []string{BucketTokens, BucketGateway} {
		if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, Replicas: replicas, History: 1}); err != nil {
			return fmt.Errorf("provision kv %s: %w", name, err)
		}
	}
	return nil
}

// LoadJWTSecret returns the configured secret, or the one stored in KV,
// generating and storing it on first start (first writer wins).
func LoadJWTSecret(ctx context.Context, js jetstream.JetStream, configured string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	kv, err := js.KeyValue(ctx, BucketGateway)
	if err != nil {
		return nil, fmt.Errorf("open kv %s: %w", BucketGateway, err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("generate jwt secret: %w", err)
	}
	if _, err := kv.Create(ctx, keyJWTSecret, secret); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("store jwt secret: %w", err)
	}
	e, err := kv.Get(ctx, keyJWTSecret)
	if err != nil {
		return nil, fmt.Errorf("read jwt secret: %w", err)
	}
	return e.Value(), nil
}

type tokenCreate struct {
	TTLSeconds int      `json:"ttlSeconds"`
	Scopes     []string `json:"scopes"`
}

// CreateToken mints a session-scoped JWT; scopes cannot exceed the caller's.
func (s *Server) CreateToken(c echo.Context, id api.SessionParam) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	p := principalOf(c)
	var in tokenCreate
	if err := decode(c, &in); err != nil {
		return err
	}
	ttl := defaultTokenTTL
	if in.TTLSeconds > 0 {
		ttl = time.Duration(in.TTLSeconds) * time.Second
	}
	scopes := in.Scopes
	if len(scopes) == 0 {
		scopes = []string{control.ScopeRead, control.ScopeSend}
	}
	for _, sc := range scopes {
		if !slices.Contains(p.Scopes, sc) {
			return validation("scopes: " + sc + " is not granted to the calling key")
		}
	}
	now := time.Now().UTC()
	rec := TokenRecord{ID: ids.New("tok"), Tenant: sess.Tenant, Session: sess.ID, Scopes: scopes,
		ExpiresAt: now.Add(ttl), CreatedAt: now}
	tok, err := s.tokens.Sign(rec.ID, rec.Tenant, rec.Session, rec.Scopes, rec.ExpiresAt)
	if err != nil {
		return err
	}
	ctx, cancel := writeCtx(c)
	defer cancel()
	rev, err := control.Put(ctx, s.kv.tokens, rec.ID, rec)
	if err != nil {
		return err
	}
	if err := s.tokRecs.waitRev(ctx, rec.ID, rev); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"id": rec.ID, "token": tok, "expiresAt": rec.ExpiresAt})
}

// RevokeToken revokes a session token.
func (s *Server) RevokeToken(c echo.Context, id api.SessionParam, token api.ID) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	rec, ok := s.tokRecs.Get(token)
	if !ok || rec.Tenant != sess.Tenant || rec.Session != sess.ID {
		return problem(http.StatusNotFound, "NOT_FOUND", "no such token")
	}
	rec.Revoked = true
	ctx, cancel := writeCtx(c)
	defer cancel()
	rev, err := control.Put(ctx, s.kv.tokens, rec.ID, rec)
	if err != nil {
		return err
	}
	if err := s.tokRecs.waitRev(ctx, rec.ID, rev); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
