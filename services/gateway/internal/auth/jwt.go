package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenIssuer is the iss claim of session tokens.
const TokenIssuer = "wamesh"

// ErrBadToken is returned by Tokens.Verify for any token that must be refused.
var ErrBadToken = errors.New("invalid session token")

// Claims of a session-scoped token.
type Claims struct {
	Tenant  string   `json:"tenant"`
	Session string   `json:"sid"`
	Scopes  []string `json:"scopes"`
	jwt.RegisteredClaims
}

// Tokens signs and verifies session tokens with one HS256 secret.
type Tokens struct {
	secret []byte
	parser *jwt.Parser
}

// NewTokens returns a signer/verifier; the secret must be at least 32 bytes.
func NewTokens(secret []byte) (*Tokens, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("jwt secret: expected at least 32 bytes, got %d", len(secret))
	}
	return &Tokens{
		secret: secret,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithIssuer(TokenIssuer),
			jwt.WithLeeway(5*time.Second),
		),
	}, nil
}

// Sign returns a token with id jti for session, valid until exp.
func (t *Tokens) Sign(jti, tenant, session string, scopes []string, exp time.Time) (string, error) {
	now := time.Now()
	c := Claims{
		Tenant: tenant, Session: session, Scopes: scopes,
		RegisteredClaims: jwt.RegisteredClaims{
			ID: jti, Issuer: TokenIssuer, Subject: session,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

// Verify checks signature, algorithm, issuer and expiry and returns the claims.
func (t *Tokens) Verify(token string) (*Claims, error) {
	var c Claims
	_, err := t.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil })
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadToken, err)
	}
	if c.ID == "" || c.Session == "" || c.Tenant == "" {
		return nil, fmt.Errorf("%w: missing jti, sid or tenant", ErrBadToken)
	}
	return &c, nil
}
