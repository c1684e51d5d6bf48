package audit

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/positive"
)

// DocsURL is Plaid's page on webhook verification, named by every fix.
const DocsURL = "https://plaid.com/docs/api/webhooks/webhook-verification/"

// DefaultTimeout is how long Plaid waits for an answer before it retries a webhook.
const DefaultTimeout = 10 * time.Second

// Case ids, in the order Run sends them.
const (
	Genuine        = "genuine"
	MultipleTokens = "multiple_tokens"
	Exited         = "exited"
	Duplicate      = "duplicate"
	OtherWebhooks  = "other_webhooks"
	NoSignature    = "no_signature"
	AlgNone        = "alg_none"
	AlgHS256       = "alg_hs256"
	UnknownKey     = "unknown_key"
	WrongKey       = "wrong_key"
	TamperedBody   = "tampered_body"
	Stale          = "stale"
	ExpiredKey     = "expired_key"
	StillWorks     = "still_works"
)

// CaseIDs returns every case id in the order Run sends them.
func CaseIDs() []string {
	return []string{Genuine, MultipleTokens, Exited, Duplicate, OtherWebhooks, NoSignature, AlgNone, AlgHS256,
		UnknownKey, WrongKey, TamperedBody, Stale, ExpiredKey, StillWorks}
}

// Verdict of one case.
type Verdict string

const (
	Pass Verdict = "pass"
	Fail Verdict = "fail"
	Warn Verdict = "warn"
)

// Config says what to audit and with which emulator.
type Config struct {
	// Target is the handler's URL, where webhooks are POSTed.
	Target string
	// Emulator is the emulator at which the handler's Plaid client points: an *emulator.Emulator
	// being served in this process (its BaseURL set), or a Remote one. It signs the deliveries and
	// records the exchanges.
	Emulator Backend
	// Only, if not empty, is the subset of case ids to run (see CaseIDs).
	Only []string
	// Timeout is how long one answer may take; zero means DefaultTimeout.
	Timeout time.Duration
	// Now measures latency; nil means time.Now.
	Now func() time.Time
	// HTTPClient sends the deliveries and calls the emulator; nil means a fresh one.
	HTTPClient *http.Client
	// OnCase, if set, is called with each case's result as soon as it is known.
	OnCase func(CaseResult)
}

// Message is one request or answer as it went over the wire.
type Message struct {
	Header http.Header
	Body   []byte
}

// CaseResult is one case's outcome with its evidence.
type CaseResult struct {
	ID      string
	Verdict Verdict
	Reason  string
	// Status is the handler's HTTP status (of the last delivery of the case), 0 if it did not answer.
	Status  int
	Latency time.Duration
	// Exchanged are the public tokens of this case that the handler tried to exchange, as the
	// emulator recorded them (successful or refused attempts), one entry per attempt.
	Exchanged []string
	// Sent and Answer are the case's last delivery and the handler's answer to it (body clipped).
	Sent   Message
	Answer Message
	// Forged says the case's webhook was forged on purpose (a handler must not act on it).
	Forged bool
	// Why says why the case matters; Fix says what to change when it fails (both link DocsURL).
	Why string
	Fix string
}

// Result is the whole audit.
type Result struct {
	Cases                  []CaseResult
	Passed, Failed, Warned int
}

// AnyFailed reports whether any case failed: the command exits 1 then.
func (r Result) AnyFailed() bool { return r.Failed > 0 }

// ErrUnknownCase is returned (wrapped) for an id in Config.Only that is not a case.
var ErrUnknownCase = errors.New("unknown audit case")

type runner struct {
	cfg    Config
	hc     *http.Client
	client *plaid.APIClient
	now    func() time.Time
	ctx    context.Context
	// unreached is set when a delivery of the current case found nothing listening at the target:
	// the case then says so, instead of advice about a handler it never reached.
	unreached error
}

// Run runs the cases against cfg.Target and returns their results in order. An error means the
// audit could not run (bad config, emulator unreachable), not that a case failed.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Emulator == nil || cfg.Emulator.BaseURL() == "" {
		return Result{}, errors.New("audit: need a served emulator (Config.Emulator with a base URL)")
	}
	if cfg.Target == "" {
		return Result{}, errors.New("audit: need a target URL")
	}
	ids := CaseIDs()
	if len(cfg.Only) > 0 {
		for _, id := range cfg.Only {
			if !slices.Contains(ids, id) {
				return Result{}, fmt.Errorf("%w %q (valid: %s)", ErrUnknownCase, id, strings.Join(ids, ", "))
			}
		}
		ids = slices.DeleteFunc(ids, func(id string) bool { return !slices.Contains(cfg.Only, id) })
	}
	cfg.Timeout = positive.Or(cfg.Timeout, DefaultTimeout)
	r := &runner{cfg: cfg, hc: cfg.HTTPClient, now: cfg.Now, ctx: ctx}
	if r.hc == nil {
		r.hc = &http.Client{}
	}
	if r.now == nil {
		r.now = time.Now
	}
	pc := plaid.NewConfiguration()
	pc.UseEnvironment(plaid.Environment(cfg.Emulator.BaseURL()))
	pc.AddDefaultHeader("PLAID-CLIENT-ID", cfg.Emulator.ClientID())
	pc.AddDefaultHeader("PLAID-SECRET", cfg.Emulator.Secret())
	pc.HTTPClient = r.hc
	r.client = plaid.NewAPIClient(pc)

	var res Result
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		r.unreached = nil
		cr, err := r.run(id)
		if e, ok := cfg.Emulator.(interface{ Err() error }); ok && err == nil {
			err = e.Err() // a remote lookup that failed: its case cannot be judged
		}
		if err != nil {
			return res, fmt.Errorf("audit: case %s: %w", id, err)
		}
		cr.ID = id
		cr.Why, cr.Fix = advice(id)
		if r.unreached != nil {
			cr.Why = "The webhook never reached your handler, so this case says nothing about its code."
			cr.Fix = "Start your app (is it still running?) and check that it listens at " + cfg.Target + ", then run the case again."
		}
		switch cr.Verdict {
		case Pass:
			res.Passed++
		case Fail:
			res.Failed++
		case Warn:
			res.Warned++
		}
		res.Cases = append(res.Cases, cr)
		if cfg.OnCase != nil {
			cfg.OnCase(cr)
		}
	}
	return res, nil
}

func (r *runner) run(id string) (CaseResult, error) {
	switch id {
	case Genuine, StillWorks:
		return r.genuine()
	case MultipleTokens:
		return r.multiple()
	case Exited:
		return r.exited()
	case Duplicate:
		return r.duplicate()
	case OtherWebhooks:
		return r.others()
	default:
		cr, err := r.forged(id)
		cr.Forged = true
		return cr, err
	}
}

// publicToken makes a fresh public token at the emulator, valid for one exchange.
func (r *runner) publicToken() (string, error) {
	req := plaid.NewSandboxPublicTokenCreateRequest(emulator.DefaultInstitutionID, []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	resp, _, err := r.client.PlaidApi.SandboxPublicTokenCreate(r.ctx).SandboxPublicTokenCreateRequest(*req).Execute()
	if err != nil {
		return "", fmt.Errorf("/sandbox/public_token/create: %w", err)
	}
	return resp.GetPublicToken(), nil
}

// body encodes a webhook as Plaid does: indented with two spaces.
func body(payload map[string]any) []byte {
	b, _ := json.MarshalIndent(payload, "", "  ")
	return b
}

func sessionFinished(status string, tokens ...string) map[string]any {
	if tokens == nil {
		tokens = []string{}
	}
	return map[string]any{
		"webhook_type":    "LINK",
		"webhook_code":    "SESSION_FINISHED",
		"status":          status,
		"link_session_id": "audit-session-" + randHex(8),
		"link_token":      "link-sandbox-audit-" + randHex(8),
		"public_tokens":   tokens,
		"environment":     "sandbox",
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// delivery is one POST's outcome.
type delivery struct {
	sent, answer Message
	status       int
	latency      time.Duration
	err          error // transport error or timeout
}

// send POSTs b with the given Plaid-Verification value ("" sends none).
func (r *runner) send(b []byte, verification string) delivery {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.Target, bytes.NewReader(b))
	if err != nil {
		return delivery{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if verification != "" {
		req.Header.Set("Plaid-Verification", verification)
	}
	d := delivery{sent: Message{Header: req.Header.Clone(), Body: b}}
	start := r.now()
	resp, err := r.hc.Do(req)
	if err == nil {
		var ab []byte
		ab, err = io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		d.status = resp.StatusCode
		d.answer = Message{Header: resp.Header.Clone(), Body: ab}
	}
	d.latency = r.now().Sub(start)
	if err != nil && ctx.Err() != nil && r.ctx.Err() == nil {
		d.status = 0
		err = fmt.Errorf("no answer within %s (Plaid would retry)", r.cfg.Timeout)
	} else if err != nil {
		r.unreached = err
	}
	d.err = err
	return d
}

// signed sends b with a genuine signature of the emulator's current key.
func (r *runner) signed(b []byte) (delivery, error) {
	j, err := r.cfg.Emulator.SignWebhook(b, emulator.SignOptions{})
	if err != nil {
		return delivery{}, err
	}
	return r.send(b, j), nil
}

// attempts lists the recorded exchange attempts of tokens, one entry per attempt.
func (r *runner) attempts(tokens ...string) []string {
	var out []string
	for _, t := range tokens {
		for range r.cfg.Emulator.ExchangeAttempts(t) {
			out = append(out, t)
		}
	}
	return out
}

// judge gives the case verdict v for why; a pass says passed instead.
func (cr *CaseResult) judge(v Verdict, why, passed string) {
	cr.Verdict, cr.Reason = v, why
	if v == Pass {
		cr.Reason = passed
	}
}

func result(d delivery) CaseResult {
	return CaseResult{Status: d.status, Latency: d.latency, Sent: d.sent, Answer: d.answer}
}

// answered judges the answer alone: "" if it is a prompt 200.
func answered(d delivery) (Verdict, string) {
	switch {
	case d.err != nil:
		return Fail, d.err.Error()
	case d.status == http.StatusOK:
		return Pass, ""
	case d.status >= 200 && d.status < 300:
		return Warn, fmt.Sprintf("answered HTTP %d; Plaid asks for 200", d.status)
	default:
		return Fail, fmt.Sprintf("answered HTTP %d to a genuine webhook: Plaid retries it", d.status)
	}
}

func (r *runner) genuine() (CaseResult, error) {
	tok, err := r.publicToken()
	if err != nil {
		return CaseResult{}, err
	}
	payload := sessionFinished("SUCCESS", tok)
	d, err := r.signed(body(payload))
	if err != nil {
		return CaseResult{}, err
	}
	cr := result(d)
	cr.Exchanged = r.attempts(tok)
	v, why := answered(d)
	if v == Fail && d.err != nil {
		cr.Verdict, cr.Reason = v, why
		return cr, nil
	}
	if v == Fail || len(cr.Exchanged) == 0 {
		cr.Verdict = Fail
		cr.Reason = why
		if cr.Reason == "" {
			cr.Reason = "answered 200 but never exchanged the public token"
		}
		if r.compactPasses(payload) {
			cr.Reason += "; the same webhook compacted, with a matching signature, is handled: the handler hashes re-serialised JSON instead of the raw body bytes"
		}
		return cr, nil
	}
	cr.judge(v, why, "answered 200 and exchanged the public token")
	return cr, nil
}

// compactPasses sends payload compacted, with a fresh token and a signature over those bytes, and
// reports whether the handler exchanged it: the diagnosis for a genuine webhook refused.
func (r *runner) compactPasses(payload map[string]any) bool {
	tok, err := r.publicToken()
	if err != nil {
		return false
	}
	payload["public_tokens"] = []string{tok}
	b, _ := json.Marshal(payload)
	d, err := r.signed(b)
	return err == nil && d.err == nil && d.status/100 == 2 && len(r.attempts(tok)) > 0
}

func (r *runner) multiple() (CaseResult, error) {
	t1, err := r.publicToken()
	if err != nil {
		return CaseResult{}, err
	}
	t2, err := r.publicToken()
	if err != nil {
		return CaseResult{}, err
	}
	d, err := r.signed(body(sessionFinished("SUCCESS", t1, t2)))
	if err != nil {
		return CaseResult{}, err
	}
	cr := result(d)
	cr.Exchanged = r.attempts(t1, t2)
	v, why := answered(d)
	var missing []string
	for i, t := range []string{t1, t2} {
		if len(r.attempts(t)) == 0 {
			missing = append(missing, fmt.Sprintf("public_tokens[%d]", i))
		}
	}
	switch {
	case v == Fail:
		cr.Verdict, cr.Reason = v, why
	case missing != nil:
		cr.Verdict, cr.Reason = Fail, "never exchanged "+strings.Join(missing, " and ")+" (one Item per token)"
	default:
		cr.judge(v, why, "exchanged both public tokens")
	}
	return cr, nil
}

func (r *runner) exited() (CaseResult, error) {
	d, err := r.signed(body(sessionFinished("EXITED")))
	if err != nil {
		return CaseResult{}, err
	}
	cr := result(d)
	v, why := answered(d)
	cr.judge(v, why, "answered 200 to a session that ended without an Item")
	return cr, nil
}

func (r *runner) duplicate() (CaseResult, error) {
	tok, err := r.publicToken()
	if err != nil {
		return CaseResult{}, err
	}
	b := body(sessionFinished("SUCCESS", tok))
	if _, err := r.signed(b); err != nil { // the first delivery; the case is its retry
		return CaseResult{}, err
	}
	first := len(r.attempts(tok))
	d, err := r.signed(b) // a retry: same body, fresh JWT
	if err != nil {
		return CaseResult{}, err
	}
	cr := result(d)
	cr.Exchanged = r.attempts(tok)
	v, why := answered(d)
	switch {
	case v == Fail:
		cr.Verdict, cr.Reason = v, why
	case len(cr.Exchanged) > first:
		cr.Verdict, cr.Reason = Fail, "exchanged the public token again on a retried delivery"
	case first == 0:
		cr.Verdict, cr.Reason = Warn, "neither delivery was acted on, so deduplication could not be seen"
	default:
		cr.judge(v, why, "answered the retry 200 without a second exchange")
	}
	return cr, nil
}

func (r *runner) others() (CaseResult, error) {
	tok, err := r.publicToken()
	if err != nil {
		return CaseResult{}, err
	}
	sid := "audit-session-" + randHex(8)
	payloads := []map[string]any{
		{"webhook_type": "LINK", "webhook_code": "EVENTS", "link_session_id": sid, "events": []any{}, "environment": "sandbox"},
		{"webhook_type": "LINK", "webhook_code": "ITEM_ADD_RESULT", "link_session_id": sid, "public_token": tok, "environment": "sandbox"},
		{"webhook_type": "LINK", "webhook_code": "AUDIT_UNKNOWN_CODE", "link_session_id": sid, "environment": "sandbox"},
	}
	var cr CaseResult
	for _, p := range payloads {
		d, err := r.signed(body(p))
		if err != nil {
			return CaseResult{}, err
		}
		cr = result(d)
		if v, why := answered(d); v != Pass {
			cr.Verdict, cr.Reason = v, fmt.Sprintf("%s: %s", p["webhook_code"], why)
			cr.Exchanged = r.attempts(tok)
			return cr, nil
		}
	}
	cr.Exchanged = r.attempts(tok)
	cr.Verdict, cr.Reason = Pass, "answered 200 to EVENTS, ITEM_ADD_RESULT and an unknown code"
	return cr, nil
}

// forged sends one forgery carrying a fresh valid public token.
func (r *runner) forged(id string) (CaseResult, error) {
	tok, err := r.publicToken()
	if err != nil {
		return CaseResult{}, err
	}
	b := body(sessionFinished("SUCCESS", tok))
	sent := b
	var header string
	emu := r.cfg.Emulator
	switch id {
	case NoSignature:
	case AlgNone:
		header, err = unsigned(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, emu.WebhookKeyID(), b)
	case AlgHS256:
		var secret []byte
		if secret, err = r.publicKeyJSON(emu.WebhookKeyID()); err == nil {
			header, err = unsigned(jwt.SigningMethodHS256, secret, emu.WebhookKeyID(), b)
		}
	case UnknownKey:
		var k *ecdsa.PrivateKey
		if k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err == nil {
			header, err = emu.SignWebhook(b, emulator.SignOptions{Forger: k, KID: "audit-" + randHex(16)})
		}
	case WrongKey:
		var k *ecdsa.PrivateKey
		if k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err == nil {
			header, err = emu.SignWebhook(b, emulator.SignOptions{Forger: k})
		}
	case TamperedBody:
		header, err = emu.SignWebhook(b, emulator.SignOptions{})
		sent = bytes.Replace(b, []byte(`"SUCCESS"`), []byte(`"success"`), 1)
	case Stale:
		header, err = emu.SignWebhook(b, emulator.SignOptions{IssuedAt: r.now().Add(-6 * time.Minute)})
	case ExpiredKey:
		header, err = emu.SignWebhook(b, emulator.SignOptions{Key: emulator.KeyExpired})
	default:
		return CaseResult{}, fmt.Errorf("%w %q", ErrUnknownCase, id)
	}
	if err != nil {
		return CaseResult{}, err
	}
	d := r.send(sent, header)
	cr := result(d)
	cr.Exchanged = r.attempts(tok)
	switch {
	case len(cr.Exchanged) > 0:
		cr.Verdict, cr.Reason = Fail, "acted on a forged webhook: exchanged its public token"
	case d.err != nil:
		cr.Verdict, cr.Reason = Fail, d.err.Error()
	default:
		cr.Verdict, cr.Reason = Pass, fmt.Sprintf("answered HTTP %d and did not act on it", d.status)
	}
	return cr, nil
}

// unsigned makes a JWT over b's hash with a method that is not ES256: the algorithm-confusion
// forgeries a verifier must refuse.
func unsigned(m jwt.SigningMethod, key any, kid string, b []byte) (string, error) {
	sum := sha256.Sum256(b)
	t := jwt.NewWithClaims(m, jwt.MapClaims{"iat": time.Now().Unix(), "request_body_sha256": hex.EncodeToString(sum[:])})
	t.Header["kid"] = kid
	return t.SignedString(key)
}

// publicKeyJSON is the current key as /webhook_verification_key/get returns it: the "secret" of
// the HS256 forgery, since it is public.
func (r *runner) publicKeyJSON(kid string) ([]byte, error) {
	resp, _, err := r.client.PlaidApi.WebhookVerificationKeyGet(r.ctx).
		WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest(kid)).Execute()
	if err != nil {
		return nil, fmt.Errorf("/webhook_verification_key/get: %w", err)
	}
	return json.Marshal(resp.Key)
}
