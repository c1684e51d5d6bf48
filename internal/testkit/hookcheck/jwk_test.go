package hookcheck

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/plaid/plaid-go/v29/plaid"
)

// TestKeyMembersChecked: the key checks the emulator's keys cannot fail on their own (it always
// serves use "sig" on P-256), by changing one member of a good JWK at a time.
func TestKeyMembersChecked(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := priv.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	good := func() plaid.JWKPublicKey {
		return plaid.JWKPublicKey{Alg: "ES256", Crv: "P-256", Kid: "k1", Kty: "EC", Use: "sig",
			X: base64.RawURLEncoding.EncodeToString(raw[1:33]), Y: base64.RawURLEncoding.EncodeToString(raw[33:])}
	}
	for _, c := range []struct {
		name   string
		change func(*plaid.JWKPublicKey)
		ok     bool
	}{
		{"good", func(*plaid.JWKPublicKey) {}, true},
		{"no use", func(j *plaid.JWKPublicKey) { j.Use = "" }, false},
		{"use enc", func(j *plaid.JWKPublicKey) { j.Use = "enc" }, false},
		{"kty RSA", func(j *plaid.JWKPublicKey) { j.Kty = "RSA" }, false},
		{"crv P-384", func(j *plaid.JWKPublicKey) { j.Crv = "P-384" }, false},
		{"alg ES384", func(j *plaid.JWKPublicKey) { j.Alg = "ES384" }, false},
		{"another kid", func(j *plaid.JWKPublicKey) { j.Kid = "k2" }, false},
		{"x not base64url", func(j *plaid.JWKPublicKey) { j.X = "not base64!" }, false},
		{"y short", func(j *plaid.JWKPublicKey) { j.Y = j.Y[:20] }, false},
		{"point off the curve", func(j *plaid.JWKPublicKey) { j.X, j.Y = j.Y, j.X }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			j := good()
			c.change(&j)
			k, err := parseJWK("k1", j)
			if c.ok && (err != nil || !k.pub.Equal(&priv.PublicKey)) {
				t.Errorf("parseJWK = %v, %v; want the key", k.pub, err)
			}
			if !c.ok && !errors.Is(err, ErrKey) {
				t.Errorf("parseJWK = %v, want %v", err, ErrKey)
			}
		})
	}
}
