package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestKeyRoundTrip(t *testing.T) {
	t.Parallel()
	k := NewKey()
	if err := CheckKey(k); err != nil {
		t.Fatalf("CheckKey(NewKey()) = %v", err)
	}
	if !strings.HasPrefix(k, KeyPrefix) || len(HashKey(k)) != 64 {
		t.Fatalf("bad key %q", k)
	}
	flipped := []byte(k)
	flipped[10] ^= 1
	for _, bad := range []string{"", "wam_", k[:len(k)-1], "xam_" + k[4:], string(flipped), k[:10] + "!" + k[11:]} {
		if err := CheckKey(bad); !errors.Is(err, ErrMalformedKey) {
			t.Errorf("CheckKey(%q) = %v, want ErrMalformedKey", bad, err)
		}
	}
}

func FuzzCheckKey(f *testing.F) {
	f.Add(NewKey())
	f.Add("wam_000000000000000000000000000000000000")
	f.Fuzz(func(t *testing.T, s string) {
		if CheckKey(s) == nil && (len(s) != keyLen || !strings.HasPrefix(s, KeyPrefix)) {
			t.Fatalf("accepted %q", s)
		}
	})
}

func TestTokens(t *testing.T) {
	t.Parallel()
	secret := []byte(strings.Repeat("s", 32))
	tok, err := NewTokens(secret)
	if err != nil {
		t.Fatal(err)
	}
	good, err := tok.Sign("tok_1", "t1", "s1", []string{"send"}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tok.Verify(good)
	if err != nil || c.Session != "s1" || c.Tenant != "t1" || c.ID != "tok_1" {
		t.Fatalf("Verify(good) = %+v, %v", c, err)
	}
	expired, _ := tok.Sign("tok_2", "t1", "s1", nil, time.Now().Add(-time.Hour))
	other, _ := NewTokens([]byte(strings.Repeat("o", 32)))
	wrongKey, _ := other.Sign("tok_3", "t1", "s1", nil, time.Now().Add(time.Hour))
	noneTok, _ := jwt.NewWithClaims(jwt.SigningMethodNone, Claims{Tenant: "t1", Session: "s1",
		RegisteredClaims: jwt.RegisteredClaims{ID: "x", Issuer: TokenIssuer, ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, Claims{Tenant: "t1", Session: "s1",
		RegisteredClaims: jwt.RegisteredClaims{ID: "x", Issuer: TokenIssuer, ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}}).
		SignedString(secret)
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, Claims{Tenant: "t1", Session: "s1",
		RegisteredClaims: jwt.RegisteredClaims{ID: "x", Issuer: TokenIssuer}}).SignedString(secret)
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"tenant":"t2","sid":"s2","jti":"tok_1","iss":"wamesh","exp":9999999999}`)) + "." + parts[2]
	for name, bad := range map[string]string{"expired": expired, "wrong key": wrongKey, "alg none": noneTok,
		"hs512": hs512, "no exp": noExp, "tampered": tampered, "garbage": "a.b.c"} {
		if _, err := tok.Verify(bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("%s: Verify = %v, want ErrBadToken", name, err)
		}
	}
	if _, err := NewTokens([]byte("short")); err == nil {
		t.Fatal("short secret accepted")
	}
}
