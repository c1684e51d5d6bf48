package webhook

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"
)

// The fuzz key and clock are fixed so that seeds (and the corpus in testdata/fuzz) stay valid
// webhooks forever, and the fuzzer starts from inputs that reach the deepest checks.
var fuzzNow = time.Unix(1764072000, 0)

func fuzzKey(tb testing.TB) *ecdsa.PrivateKey {
	d := sha256.Sum256([]byte("linkrecovery fuzz key"))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func fuzzVerifier(tb testing.TB) *Verifier {
	k := fuzzKey(tb)
	src := KeySourceFunc(func(_ context.Context, kid string) (Key, error) {
		if kid != "fuzz-kid" {
			return Key{}, ErrUnknownKey
		}
		return Key{KID: kid, Public: &k.PublicKey}, nil
	})
	return NewVerifierWith(src, WithClock(func() time.Time { return fuzzNow }))
}

func fuzzSeeds(tb testing.TB) (headers []string, bodies [][]byte) {
	k := fuzzKey(tb)
	body := sessionFinished("fuzz-session")
	good, err := Sign(k, "fuzz-kid", body, fuzzNow)
	if err != nil {
		tb.Fatal(err)
	}
	old, _ := Sign(k, "fuzz-kid", body, fuzzNow.Add(-10*time.Minute))
	other, _ := Sign(k, "other-kid", body, fuzzNow)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iat": fuzzNow.Unix()})
	hs.Header["kid"] = "fuzz-kid"
	hs256, _ := hs.SignedString([]byte("k"))
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"fuzz-kid"}`)) + ".e30."
	headers = []string{good, old, other, hs256, none, "", "a.b.c", "....", strings.Repeat("A", 100) + "." + "x"}
	bodies = [][]byte{body, []byte("{}"), []byte(`{"webhook_type":"LINK","webhook_code":"X"}`), []byte("not json"), nil}
	return headers, bodies
}

// FuzzVerify: whatever the header and body, Verify never panics, refuses with a short printable
// reason, and accepts only a token that really names the fuzz key and the body's hash.
func FuzzVerify(f *testing.F) {
	headers, bodies := fuzzSeeds(f)
	for _, h := range headers {
		for _, b := range bodies {
			f.Add(h, b)
		}
	}
	v := fuzzVerifier(f)
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := v.Verify(context.Background(), header, body)
		if err == nil {
			parts := strings.Split(strings.TrimSpace(header), ".")
			var h jwtHeader
			raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
			json.Unmarshal(raw, &h)
			var c struct {
				Hash string `json:"request_body_sha256"`
			}
			raw, _ = base64.RawURLEncoding.DecodeString(parts[1])
			json.Unmarshal(raw, &c)
			sum := sha256.Sum256(body)
			if h.Alg != "ES256" || h.Kid != "fuzz-kid" || !strings.EqualFold(c.Hash, hex.EncodeToString(sum[:])) {
				t.Fatalf("accepted header %q for body %q", header, body)
			}
			return
		}
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Reason == "" || len(ve.Reason) > 200 {
			t.Fatalf("error %v (%T) is not a short VerifyError", err, err)
		}
		for _, r := range ve.Reason {
			if !unicode.IsPrint(r) {
				t.Fatalf("reason %q has a control character", ve.Reason)
			}
		}
	})
}

// FuzzReceiver: any method, content type, header and body through the handler: it never panics,
// answers a known status, records exactly one event, and answers 200 only for a verified webhook.
func FuzzReceiver(f *testing.F) {
	headers, bodies := fuzzSeeds(f)
	for _, h := range headers {
		for _, b := range bodies {
			f.Add("POST", "application/json", h, b)
		}
	}
	f.Add("GET", "", "", []byte(nil))
	f.Add("POST", "text/plain; charset=utf-8", headers[0], bodies[0])
	f.Add("POST", "application/json; charset=\"", headers[0], bodies[0])

	r := NewReceiver(ReceiverConfig{Verifier: fuzzVerifier(f), Keep: 4})
	go func() {
		for range r.Events() {
		}
	}()
	f.Cleanup(func() { r.Close() })
	known := map[int]bool{200: true, 400: true, 401: true, 405: true, 413: true, 415: true}
	f.Fuzz(func(t *testing.T, method, ctype, header string, body []byte) {
		req, err := http.NewRequest(method, "http://x/webhook", bytes.NewReader(body))
		if err != nil {
			return // not a method net/http would ever hand us
		}
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Plaid-Verification", header)
		var before int64
		if rec := r.Recent(); len(rec) > 0 {
			before = rec[0].Seq
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if !known[w.Code] {
			t.Fatalf("status %d", w.Code)
		}
		rec := r.Recent()
		if len(rec) == 0 || rec[0].Seq != before+1 {
			t.Fatalf("want exactly one new event")
		}
		ev := rec[0]
		if ev.Status != w.Code {
			t.Fatalf("event status %d, answered %d", ev.Status, w.Code)
		}
		if w.Code == 200 && (ev.Kind != EventWebhook || !ev.Verified || ev.Webhook == nil || ev.Webhook.WebhookCode == "") {
			t.Fatalf("200 for an unverified or empty webhook: %+v", ev)
		}
		if w.Code != 200 && (ev.Verified || ev.Reason == "") {
			t.Fatalf("refused without a reason: %+v", ev)
		}
	})
}
