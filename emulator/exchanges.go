package emulator

import (
	"encoding/json"
	"net/http"
	"time"
)

// The audit (issue 17) sends genuine and forged webhooks to a developer's handler and must know
// which public tokens the handler then tried to exchange. A handler's HTTP answer says nothing
// about that (a 200 that acts on a forgery is the failure), so the emulator, which the handler's
// Plaid client points at, records every exchange attempt it answers.

// ExchangeAttempt is one call of /item/public_token/exchange that passed the key check, as the
// emulator answered it. Calls without the keys are not recorded, so a stranger cannot write here.
type ExchangeAttempt struct {
	// PublicToken is the public_token the call sent (its first 256 bytes: a real one has 51).
	PublicToken string
	// At is when the emulator answered, on its clock.
	At time.Time
	// OK is true when the exchange succeeded (an access token was returned).
	OK bool
	// Status is the HTTP status of the answer (499 if the client gave up during a fault's delay).
	Status int
	// ErrorCode is Plaid's error_code when the exchange was refused, e.g. INVALID_PUBLIC_TOKEN for a
	// token already exchanged, expired or never issued; "" when OK.
	ErrorCode string
	// ItemID is the Item the token was exchanged for, when OK.
	ItemID string
}

const (
	// maxExchangeAttempts is how many attempts the emulator remembers; the oldest go first.
	maxExchangeAttempts = 10000
	// maxAttemptTokenLen bounds the token kept per attempt, so that a keyed caller sending
	// megabyte "tokens" cannot grow the record without bound.
	maxAttemptTokenLen = 256
)

// exchangePath is the endpoint whose attempts are recorded.
const exchangePath = "/item/public_token/exchange"

// ExchangeAttempts returns every recorded exchange attempt for publicToken, oldest first (nil if
// there was none). HTTP: POST /emulator/exchanges {"public_token": "..."}.
func (e *Emulator) ExchangeAttempts(publicToken string) []ExchangeAttempt {
	publicToken = clipAttemptToken(publicToken)
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []ExchangeAttempt
	for _, a := range e.exchanges {
		if a.PublicToken == publicToken {
			out = append(out, a)
		}
	}
	return out
}

// AllExchangeAttempts returns every recorded exchange attempt (the latest 10000), oldest first.
// HTTP: POST /emulator/exchanges {}.
func (e *Emulator) AllExchangeAttempts() []ExchangeAttempt {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]ExchangeAttempt(nil), e.exchanges...)
}

// recordExchange notes an authenticated /item/public_token/exchange call once it is answered:
// status and code as answered, resp the answer when it succeeded. A call whose public_token is
// absent or not a string names no token and is not recorded.
func (e *Emulator) recordExchange(body []byte, status int, code string, resp map[string]any) {
	var req struct {
		PublicToken any `json:"public_token"`
	}
	_ = json.Unmarshal(body, &req) // already checked to be a JSON object
	tok, ok := req.PublicToken.(string)
	if !ok || tok == "" {
		return
	}
	a := ExchangeAttempt{PublicToken: clipAttemptToken(tok), OK: status == http.StatusOK, Status: status, ErrorCode: code}
	if a.OK {
		a.ItemID, _ = resp["item_id"].(string)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a.At = e.now()
	e.exchanges = append(e.exchanges, a)
	if n := len(e.exchanges); n > maxExchangeAttempts {
		e.exchanges = append([]ExchangeAttempt(nil), e.exchanges[n-maxExchangeAttempts:]...)
	}
	if !a.OK { // a success is logged by publicTokenExchange, with its Item
		e.logf("public token %s: exchange refused (%s, HTTP %d)", mask(a.PublicToken), code, status)
	}
}

func clipAttemptToken(s string) string {
	if len(s) > maxAttemptTokenLen {
		return s[:maxAttemptTokenLen]
	}
	return s
}

// controlExchanges is POST /emulator/exchanges: the attempts for one public token, or every attempt
// when the body names none. Tokens are masked in the answer, as in every emulator view; the caller
// knows the one it asked about.
func (e *Emulator) controlExchanges(w http.ResponseWriter, body []byte) {
	var req struct {
		PublicToken *string `json:"public_token"`
	}
	if pe := decodeControl(body, &req); pe != nil {
		pe.ErrorMessage = `send {"public_token": "public-sandbox-..."}, or {} for every attempt: ` + pe.ErrorMessage
		writeError(w, pe, "")
		return
	}
	var attempts []ExchangeAttempt
	if req.PublicToken == nil {
		attempts = e.AllExchangeAttempts()
	} else {
		attempts = e.ExchangeAttempts(*req.PublicToken)
	}
	out := []map[string]any{}
	for _, a := range attempts {
		m := map[string]any{
			"public_token": mask(a.PublicToken),
			"at":           a.At.UTC().Format(time.RFC3339Nano),
			"ok":           a.OK,
			"status":       a.Status,
			"error_code":   nil,
			"item_id":      nil,
		}
		if a.ErrorCode != "" {
			m["error_code"] = a.ErrorCode
		}
		if a.ItemID != "" {
			m["item_id"] = a.ItemID
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"attempts": out})
}
