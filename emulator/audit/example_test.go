package audit_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator/audit"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
)

// webhookHandler is an app's Plaid webhook handler, written as Plaid's verification docs say: it
// verifies the Plaid-Verification JWT over the raw body, answers 200 to everything (a forgery
// too, so nobody learns what was refused), and exchanges each public token once.
func webhookHandler(client *plaid.APIClient) http.Handler {
	var mu sync.Mutex
	exchanged := map[string]bool{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || verify(r.Context(), client, r.Header.Get("Plaid-Verification"), body) != nil {
			return
		}
		var hook struct {
			Code         string   `json:"webhook_code"`
			PublicTokens []string `json:"public_tokens"`
		}
		if json.Unmarshal(body, &hook) != nil || hook.Code != "SESSION_FINISHED" {
			return
		}
		for _, tok := range hook.PublicTokens {
			mu.Lock()
			seen := exchanged[tok]
			exchanged[tok] = true
			mu.Unlock()
			if !seen {
				_, _, _ = client.PlaidApi.ItemPublicTokenExchange(r.Context()).
					ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(tok)).Execute()
			}
		}
	})
}

// verify checks a Plaid-Verification header: ES256 only, the key Plaid returns for its kid and not
// expired, iat at most 5 minutes old, and the SHA-256 of the raw body bytes.
func verify(ctx context.Context, client *plaid.APIClient, header string, body []byte) error {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(header, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		resp, _, err := client.PlaidApi.WebhookVerificationKeyGet(ctx).
			WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest(kid)).Execute()
		if err != nil {
			return nil, err
		}
		k := resp.GetKey()
		if exp := k.ExpiredAt.Get(); exp != nil && time.Unix(int64(*exp), 0).Before(time.Now()) {
			return nil, errors.New("expired key")
		}
		x, errX := base64.RawURLEncoding.DecodeString(k.X)
		y, errY := base64.RawURLEncoding.DecodeString(k.Y)
		if errX != nil || errY != nil {
			return nil, errors.New("bad key")
		}
		return &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}, nil
	}, jwt.WithValidMethods([]string{"ES256"}))
	if err != nil {
		return err
	}
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil || time.Since(iat.Time) > 5*time.Minute {
		return errors.New("stale")
	}
	sum := sha256.Sum256(body)
	want, _ := claims["request_body_sha256"].(string)
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(want)) != 1 {
		return errors.New("body hash does not match")
	}
	return nil
}

// Run grades a handler from a project's own test: the handler's Plaid client points at an
// emulatortest emulator, and Run sends it genuine, repeated and forged webhooks.
func ExampleRun() {
	emu, err := emulatortest.Start()
	if err != nil {
		panic(err)
	}
	defer emu.Close()
	app := httptest.NewServer(webhookHandler(emu.Client))
	defer app.Close()

	res, err := audit.Run(context.Background(), audit.Config{Target: app.URL, Emulator: emu.Emulator})
	if err != nil {
		panic(err)
	}
	for _, c := range res.Cases {
		fmt.Printf("%s: %s\n", c.ID, c.Verdict)
	}
	fmt.Printf("%d passed, %d failed, %d warned\n", res.Passed, res.Failed, res.Warned)
	// Output:
	// genuine: pass
	// multiple_tokens: pass
	// exited: pass
	// duplicate: pass
	// other_webhooks: pass
	// no_signature: pass
	// alg_none: pass
	// alg_hs256: pass
	// unknown_key: pass
	// wrong_key: pass
	// tampered_body: pass
	// stale: pass
	// expired_key: pass
	// still_works: pass
	// 14 passed, 0 failed, 0 warned
}
