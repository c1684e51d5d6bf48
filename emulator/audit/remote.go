package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// Backend is what the audit needs of the emulator that the handler's Plaid client points at: its
// URL and keys, signatures as it signs its webhooks, and the exchange attempts it recorded. An
// *emulator.Emulator being served is one; Remote is one that another process serves
// (`linkrecovery emulator`), reached over its HTTP hooks.
type Backend interface {
	BaseURL() string
	ClientID() string
	Secret() string
	WebhookKeyID() string
	SignWebhook(body []byte, opts emulator.SignOptions) (string, error)
	ExchangeAttempts(publicToken string) []emulator.ExchangeAttempt
}

// Remote is an emulator served by another process, used through POST /emulator/webhook/sign and
// POST /emulator/exchanges with its keys (docs/emulator.md, "The audit's hooks"). Its methods
// that cannot return an error (WebhookKeyID, ExchangeAttempts) keep the first one for Err, and
// Run stops at it: a lookup that failed must not read as "nothing was exchanged".
type Remote struct {
	base, clientID, secret string
	hc                     *http.Client

	mu  sync.Mutex
	err error
}

// NewRemote is the emulator at baseURL with the given keys; hc nil means a fresh client.
func NewRemote(baseURL, clientID, secret string, hc *http.Client) *Remote {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Remote{base: strings.TrimRight(baseURL, "/"), clientID: clientID, secret: secret, hc: hc}
}

func (r *Remote) BaseURL() string  { return r.base }
func (r *Remote) ClientID() string { return r.clientID }
func (r *Remote) Secret() string   { return r.secret }

// Err is the first error of WebhookKeyID or ExchangeAttempts, nil if none.
func (r *Remote) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Remote) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
}

// Check signs a test body: it fails when the emulator is not there or refuses the keys.
func (r *Remote) Check(ctx context.Context) error {
	_, err := r.sign(ctx, []byte("{}"), emulator.SignOptions{})
	return err
}

// WebhookKeyID is the kid of the key that signs the emulator's webhooks now.
func (r *Remote) WebhookKeyID() string {
	var out struct {
		KeyID string `json:"key_id"`
	}
	if err := r.post(context.Background(), "/emulator/webhook/sign", map[string]any{"body": "{}"}, &out); err != nil {
		r.fail(err)
		return ""
	}
	return out.KeyID
}

// SignWebhook signs as the emulator does. A Forger signs here, in this process, with the kid of
// KID or of the emulator's current key; the emulator's own keys sign at the emulator.
func (r *Remote) SignWebhook(body []byte, opts emulator.SignOptions) (string, error) {
	return r.sign(context.Background(), body, opts)
}

func (r *Remote) sign(ctx context.Context, body []byte, opts emulator.SignOptions) (string, error) {
	iat := opts.IssuedAt
	if opts.Forger != nil {
		kid := opts.KID
		if kid == "" {
			if kid = r.WebhookKeyID(); kid == "" {
				return "", r.Err()
			}
		}
		if iat.IsZero() {
			iat = time.Now()
		}
		return webhook.Sign(opts.Forger, kid, body, iat)
	}
	if opts.KID != "" {
		return "", errors.New("audit: a remote emulator cannot sign with its own key under another kid")
	}
	req := map[string]any{"body": string(body)}
	if opts.Key != "" {
		req["key"] = opts.Key
	}
	if !iat.IsZero() {
		req["issued_at"] = iat.Unix()
	}
	var out struct {
		JWT string `json:"jwt"`
	}
	if err := r.post(ctx, "/emulator/webhook/sign", req, &out); err != nil {
		return "", err
	}
	return out.JWT, nil
}

// ExchangeAttempts lists the emulator's recorded attempts for publicToken.
func (r *Remote) ExchangeAttempts(publicToken string) []emulator.ExchangeAttempt {
	var out struct {
		Attempts []struct {
			At        time.Time `json:"at"`
			OK        bool      `json:"ok"`
			Status    int       `json:"status"`
			ErrorCode *string   `json:"error_code"`
			ItemID    *string   `json:"item_id"`
		} `json:"attempts"`
	}
	if err := r.post(context.Background(), "/emulator/exchanges", map[string]any{"public_token": publicToken}, &out); err != nil {
		r.fail(err)
		return nil
	}
	var as []emulator.ExchangeAttempt
	for _, a := range out.Attempts {
		// The answer masks the token; it is the one asked about.
		e := emulator.ExchangeAttempt{PublicToken: publicToken, At: a.At, OK: a.OK, Status: a.Status}
		if a.ErrorCode != nil {
			e.ErrorCode = *a.ErrorCode
		}
		if a.ItemID != nil {
			e.ItemID = *a.ItemID
		}
		as = append(as, e)
	}
	return as
}

// post calls one of the emulator's hooks with its keys.
func (r *Remote) post(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("PLAID-CLIENT-ID", r.clientID)
	req.Header.Set("PLAID-SECRET", r.secret)
	resp, err := r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("emulator at %s: %w", r.base, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var pe struct {
			Code    string `json:"error_code"`
			Message string `json:"error_message"`
		}
		_ = json.Unmarshal(raw, &pe)
		if pe.Code == "" {
			return fmt.Errorf("emulator at %s: POST %s: HTTP %d (is it a linkrecovery emulator?)", r.base, path, resp.StatusCode)
		}
		return fmt.Errorf("emulator at %s: POST %s: HTTP %d %s: %s", r.base, path, resp.StatusCode, pe.Code, pe.Message)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("emulator at %s: POST %s: %w (is it a linkrecovery emulator?)", r.base, path, err)
	}
	return nil
}
