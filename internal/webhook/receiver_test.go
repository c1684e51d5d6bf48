package webhook

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func bodyHash(body []byte) string {
	s := sha256.Sum256(body)
	return hex.EncodeToString(s[:])
}

// TestReceiverHostileRequests sends the hostile requests the issue lists, one after another to the
// same receiver, then a valid webhook that must still be accepted and verified.
func TestReceiverHostileRequests(t *testing.T) {
	kr := newKeyring(t)
	// The verifier reads the same fixed clock the tokens are signed from, so ages such as "6m0s"
	// cannot drift across a second boundary on a loaded machine.
	now := time.Now()
	v := NewVerifierWith(kr, WithClock(func() time.Time { return now }))
	r := NewReceiver(ReceiverConfig{Verifier: v})
	base := serve(t, r)
	hook := base + "/webhook"

	body := sessionFinished("sess-1")
	good := kr.sign(t, "kid-good", body, now)

	claims := fmt.Sprintf(`{"iat":%d,"request_body_sha256":"%s"}`, now.Unix(), bodyHash(body))
	algNone := b64(`{"alg":"none","kid":"kid-good","typ":"JWT"}`) + "." + b64(claims) + "."
	algNoneUpper := b64(`{"alg":"NONE","kid":"kid-good"}`) + "." + b64(claims) + "."

	der, err := x509.MarshalPKIXPublicKey(kr.keys["kid-good"].Public)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iat": now.Unix(), "request_body_sha256": bodyHash(body)})
	hs.Header["kid"] = "kid-good"
	hs256, err := hs.SignedString(pubPEM)
	if err != nil {
		t.Fatal(err)
	}

	otherKey := newKeyring(t) // same kid names, different private keys
	wrongSig := otherKey.sign(t, "kid-good", body, now)
	unknownKid, _ := Sign(kr.privs["kid-good"], "kid-forged", body, now)
	expired := kr.sign(t, "kid-expired", body, now)
	old6m := kr.sign(t, "kid-good", body, now.Add(-6*time.Minute))
	future1h := kr.sign(t, "kid-good", body, now.Add(time.Hour))
	tamperedBody := []byte(strings.Replace(string(body), "public-sandbox-sess-1", "public-sandbox-evil", 1))
	otherBody := sessionFinished("sess-replay")
	replayed := kr.sign(t, "kid-good", otherBody, now.Add(-47*time.Minute))
	noHash, _ := func() (string, error) {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iat": now.Unix()})
		tok.Header["kid"] = "kid-good"
		return tok.SignedString(kr.privs["kid-good"])
	}()
	parts := strings.Split(good, ".")
	badSigB64 := parts[0] + "." + parts[1] + "." + "!!!notbase64!!!"
	huge := append(append([]byte(`{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","pad":"`),
		strings.Repeat("a", MaxBodyBytes)...), `"}`...)

	type req struct {
		method, path, ctype, header string
		body                        []byte
		raw                         string // sent as is over TCP instead
	}
	rawTruncated := "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
		"Plaid-Verification: " + good + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" +
		string(body[:len(body)/2])
	rawGarbage := "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
		"Plaid-Verification: \x80\xff\xfe garbage.\xc3\x28.\x80\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" +
		string(body)
	// Control characters in a header value: net/http itself answers 400 before the receiver runs.
	rawControl := strings.Replace(rawGarbage, "garbage", "gar\x01\x7fbage", 1)

	cases := []struct {
		name       string
		req        req
		wantStatus int // 0: the client cannot see one (the server hung up on a truncated body)
		wantKind   EventKind
		wantReason string // prefix
		wantDup    bool
		wantOK     bool
	}{
		{"first valid delivery", req{header: good, body: body}, 200, EventWebhook, "", false, true},
		{"no header", req{body: body}, 401, EventWebhook, ReasonNoHeader, false, false},
		{"malformed JWT", req{header: "not-a-jwt", body: body}, 401, EventWebhook, ReasonMalformed + " (want three", false, false},
		{"alg none", req{header: algNone, body: body}, 401, EventWebhook, "alg none is not allowed (only ES256)", false, false},
		{"alg NONE upper case", req{header: algNoneUpper, body: body}, 401, EventWebhook, "alg none is not allowed (only ES256)", false, false},
		{"HS256 signed with the public key", req{header: hs256, body: body}, 401, EventWebhook, "alg HS256 is not allowed (only ES256)", false, false},
		{"signed by another key under a known kid", req{header: wrongSig, body: body}, 401, EventWebhook, ReasonBadSignature, false, false},
		{"signature not base64", req{header: badSigB64, body: body}, 401, EventWebhook, ReasonMalformed, false, false},
		{"unknown kid", req{header: unknownKid, body: body}, 401, EventWebhook, ReasonUnknownKID, false, false},
		{"expired key", req{header: expired, body: body}, 401, EventWebhook, ReasonKeyExpired, false, false},
		{"iat 6 minutes old", req{header: old6m, body: body}, 401, EventWebhook, "iat too old (6m0s > 5m)", false, false},
		{"iat 1 hour in the future", req{header: future1h, body: body}, 401, EventWebhook, "iat in the future (1h0m0s ahead)", false, false},
		{"tampered body", req{header: good, body: tamperedBody}, 401, EventWebhook, ReasonBodyMismatch, false, false},
		{"replayed old token", req{header: replayed, body: otherBody}, 401, EventWebhook, "iat too old (47m0s > 5m)", false, false},
		{"no request_body_sha256", req{header: noHash, body: body}, 401, EventWebhook, ReasonNoBodyHash, false, false},
		{"body over 1 MiB", req{header: good, body: huge}, 413, EventRejected, "body over 1 MiB", false, false},
		{"non-JSON", req{header: good, body: []byte("hello=world")}, 400, EventRejected, "body is not a JSON object", false, false},
		{"JSON array", req{header: good, body: []byte(`[1,2]`)}, 400, EventRejected, "body is not a JSON object (top level is array", false, false},
		{"JSON without webhook_code", req{header: good, body: []byte(`{"webhook_type":"LINK"}`)}, 400, EventRejected, "not a Plaid webhook", false, false},
		{"truncated JSON", req{header: good, body: body[:len(body)-7]}, 400, EventRejected, "body is not a JSON object (unexpected end", false, false},
		{"truncated body (connection closed early)", req{raw: rawTruncated}, 0, EventRejected, "body could not be read (unexpected EOF)", false, false},
		{"GET /webhook", req{method: "GET"}, 405, EventRejected, "method GET not allowed (use POST)", false, false},
		{"PUT /webhook", req{method: "PUT", header: good, body: body}, 405, EventRejected, "method PUT not allowed", false, false},
		{"wrong content type", req{ctype: "text/plain", header: good, body: body}, 415, EventRejected, "content type text/plain not accepted", false, false},
		{"no content type", req{ctype: "-", header: good, body: body}, 415, EventRejected, "content type none not accepted", false, false},
		{"header with garbage bytes", req{raw: rawGarbage}, 401, EventWebhook, ReasonMalformed, false, false},
		{"header with control characters", req{raw: rawControl}, 400, 0, "", false, false},
		{"duplicate delivery", req{header: good, body: body}, 200, EventWebhook, "", true, true},
		{"re-signed retry of the same session", req{header: kr.sign(t, "kid-good", body, now.Add(time.Second)), body: body}, 200, EventWebhook, "", true, true},
	}
	lookupsBefore := int64(-1)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "alg none" {
				lookupsBefore = kr.lookups.Load()
			}
			var status int
			if tc.req.raw != "" {
				status = rawHTTP(t, base, tc.req.raw, true)
			} else {
				method := tc.req.method
				if method == "" {
					method = http.MethodPost
				}
				hreq, err := http.NewRequest(method, hook, strings.NewReader(string(tc.req.body)))
				if err != nil {
					t.Fatal(err)
				}
				switch tc.req.ctype {
				case "":
					hreq.Header.Set("Content-Type", "application/json")
				case "-":
				default:
					hreq.Header.Set("Content-Type", tc.req.ctype)
				}
				if tc.req.header != "" {
					hreq.Header.Set("Plaid-Verification", tc.req.header)
				}
				resp, err := http.DefaultClient.Do(hreq)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
			}
			if tc.wantStatus != 0 && status != tc.wantStatus {
				t.Errorf("status %d, want %d", status, tc.wantStatus)
			}
			if tc.wantKind == 0 {
				return // refused by net/http, never reached the receiver
			}
			ev := nextEvent(t, r)
			if ev.Kind != tc.wantKind {
				t.Fatalf("event kind %v (reason %q), want %v", ev.Kind, ev.Reason, tc.wantKind)
			}
			if !strings.HasPrefix(ev.Reason, tc.wantReason) || (tc.wantReason == "") != (ev.Reason == "") {
				t.Errorf("reason %q, want prefix %q", ev.Reason, tc.wantReason)
			}
			if ev.Verified != tc.wantOK || ev.Duplicate != tc.wantDup {
				t.Errorf("verified=%v duplicate=%v, want %v %v", ev.Verified, ev.Duplicate, tc.wantOK, tc.wantDup)
			}
			if ev.Actionable() != (tc.wantOK && !tc.wantDup) {
				t.Errorf("Actionable()=%v", ev.Actionable())
			}
			if tc.wantStatus != 0 && ev.Status != tc.wantStatus {
				t.Errorf("event status %d, want %d", ev.Status, tc.wantStatus)
			}
			if tc.name == "HS256 signed with the public key" && kr.lookups.Load() != lookupsBefore {
				t.Errorf("alg none/HS256 caused %d key lookups; they must be refused before any lookup", kr.lookups.Load()-lookupsBefore)
			}
		})
	}

	// After all that, a fresh valid webhook is still accepted and verified.
	body2 := sessionFinished("sess-2")
	if st := post(t, hook, "application/json", kr.sign(t, "kid-good", body2, now), body2); st != 200 {
		t.Fatalf("valid webhook after the hostile ones: status %d", st)
	}
	ev := nextEvent(t, r)
	if ev.Kind != EventWebhook || !ev.Verified || ev.Duplicate || !ev.Actionable() || ev.Webhook.LinkSessionID != "sess-2" ||
		len(ev.Webhook.PublicTokens) != 1 || ev.Webhook.PublicTokens[0] != "public-sandbox-sess-2" {
		t.Fatalf("valid webhook after the hostile ones: %+v", ev)
	}
	// kid-good, kid-expired, kid-forged once each, plus kid-good once more because a new kid
	// (kid-expired) appeared: the cache answered everything else.
	if n := kr.lookups.Load(); n != 4 {
		t.Errorf("key lookups = %d, want 4", n)
	}
	if got := len(r.Recent()); got != len(cases) {
		t.Errorf("Recent has %d events, want %d (every case but the control-character one, plus the last)", got, len(cases))
	}
}
