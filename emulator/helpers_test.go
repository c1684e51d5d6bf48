package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	plaid "github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/internal/testkit/bodytap"
	"github.com/bankdown/linkrecovery/internal/testkit/hookcheck"
)

// exchange is one API call the recording transport saw.
type exchange struct {
	Method, Path string
	Status       int
	Body         []byte
}

// recorder keeps every raw response body its tap sees, so tests can check the bytes on the wire
// against the OpenAPI spec and not only what plaid-go decoded.
type recorder struct {
	mu  sync.Mutex
	log []exchange
}

func (r *recorder) add(req *http.Request, resp *http.Response, body []byte) {
	r.mu.Lock()
	r.log = append(r.log, exchange{req.Method, req.URL.Path, resp.StatusCode, body})
	r.mu.Unlock()
}

func (r *recorder) all() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.log...)
}

// last returns the latest exchange for path.
func (r *recorder) last(t *testing.T, path string) exchange {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.log) - 1; i >= 0; i-- {
		if r.log[i].Path == path {
			return r.log[i]
		}
	}
	t.Fatalf("no recorded call to %s", path)
	return exchange{}
}

// hook is a received webhook.
type hook struct {
	Header http.Header
	Body   []byte
}

func (h hook) code() string {
	var m struct {
		WebhookCode string `json:"webhook_code"`
	}
	_ = json.Unmarshal(h.Body, &m)
	return m.WebhookCode
}

// receiver is a webhook endpoint on loopback. fail, when set, picks the status to answer with for
// the n-th request (1-based); 0 means 200.
type receiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	hooks []hook
	tries int
	fail  func(n int) int
	got   chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{got: make(chan struct{}, 1000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.tries++
		n, fail := rc.tries, rc.fail
		rc.mu.Unlock()
		if fail != nil {
			if st := fail(n); st != 0 {
				w.WriteHeader(st)
				return
			}
		}
		rc.mu.Lock()
		rc.hooks = append(rc.hooks, hook{r.Header.Clone(), body})
		rc.mu.Unlock()
		rc.got <- struct{}{}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []hook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hook(nil), rc.hooks...)
}

func (rc *receiver) attempts() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.tries
}

// waitFor waits until a webhook with the given code has arrived (count times) and returns all so far.
func (rc *receiver) waitFor(t *testing.T, code string, count int) []hook {
	t.Helper()
	deadline := time.After(testWait)
	for {
		n := 0
		for _, h := range rc.all() {
			if h.code() == code {
				n++
			}
		}
		if n >= count {
			return rc.all()
		}
		select {
		case <-rc.got:
		case <-deadline:
			t.Fatalf("timed out waiting for %d %s webhook(s); got %s", count, code, codes(rc.all()))
		}
	}
}

func codes(hs []hook) string {
	var s []string
	for _, h := range hs {
		s = append(s, h.code())
	}
	return "[" + strings.Join(s, " ") + "]"
}

// testWait bounds every wait on a condition in this package's tests. It is generous because the
// machine is shared and -race is slow; a wait ends as soon as its condition holds, so it costs
// nothing when things are fast.
const testWait = 2 * time.Minute

// env is an emulator on loopback plus a plaid-go client pointed at it.
type env struct {
	emu    *Emulator
	srv    *httptest.Server
	client *plaid.APIClient
	rec    *recorder
	ctx    context.Context
	logs   *logSink
	waits  *waitLog
	hooks  *hookcheck.Verifier // one per env, so each kid's key is fetched once
}

// waitLog records every wait the emulator asks for (fault delays, webhook delays, backoff) and
// then really waits, so tests check the waits asked for instead of timing them on the wall clock.
type waitLog struct {
	mu sync.Mutex
	ds []time.Duration
}

func (w *waitLog) sleep(ctx context.Context, d time.Duration) bool {
	w.mu.Lock()
	w.ds = append(w.ds, d)
	w.mu.Unlock()
	return sleepCtx(ctx, d)
}

func (w *waitLog) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.ds...)
}

// reset forgets the waits so far.
func (w *waitLog) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ds = nil
}

type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// take returns the records so far and forgets them.
func (l *logSink) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}

func (l *logSink) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	logs := &logSink{}
	if cfg.Logf == nil {
		cfg.Logf = logs.logf
	}
	if cfg.WebhookBackoff == 0 {
		cfg.WebhookBackoff = 5 * time.Millisecond // keep retry tests quick; the schedule is what they check
	}
	waits := &waitLog{}
	if cfg.sleep == nil {
		cfg.sleep = waits.sleep
	}
	emu, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(emu)
	emu.SetBaseURL(srv.URL)
	t.Cleanup(func() {
		srv.Close()
		if err := emu.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		// The secret must never reach the log, whatever the test did.
		if strings.Contains(logs.text(), emu.Secret()) {
			t.Errorf("the secret appears in the log")
		}
	})
	rec := &recorder{}
	pc := plaid.NewConfiguration()
	pc.AddDefaultHeader("PLAID-CLIENT-ID", emu.ClientID())
	pc.AddDefaultHeader("PLAID-SECRET", emu.Secret())
	pc.UseEnvironment(plaid.Environment(srv.URL))
	pc.HTTPClient = &http.Client{Transport: &bodytap.Transport{Seen: rec.add}, Timeout: testWait}
	client := plaid.NewAPIClient(pc)
	return &env{emu: emu, srv: srv, client: client, rec: rec, ctx: context.Background(), logs: logs, waits: waits, hooks: hookcheck.New(client)}
}

// linkToken creates a hosted-link token with the given webhook through plaid-go.
func (v *env) linkToken(t *testing.T, webhook, redirect string) plaid.LinkTokenCreateResponse {
	t.Helper()
	return v.linkTokenWith(t, func(req *plaid.LinkTokenCreateRequest, hl *plaid.LinkTokenCreateHostedLink) {
		if webhook != "" {
			req.SetWebhook(webhook)
		}
		if redirect != "" {
			hl.SetCompletionRedirectUri(redirect)
		}
	})
}

// The logins the tests walk most: Plaid's Sandbox user at a bank that works, and at one that is down.
var (
	goodLogin = Credentials{Username: UserGood, Password: PassGood}
	bankDown  = Credentials{Username: UserGood, Password: PassInstitutionDown}
)

// session creates a hosted-link token with the given webhook and walks its session to the end with
// creds, as a person in the browser would.
func (v *env) session(t *testing.T, webhook string, creds Credentials) plaid.LinkTokenCreateResponse {
	t.Helper()
	lt := v.linkToken(t, webhook, "")
	if err := v.emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), creds); err != nil {
		t.Fatalf("walking the session: %v", err)
	}
	return lt
}

// linkTokenWith creates a hosted-link token after set has adjusted the request and its hosted_link.
func (v *env) linkTokenWith(t *testing.T, set func(*plaid.LinkTokenCreateRequest, *plaid.LinkTokenCreateHostedLink)) plaid.LinkTokenCreateResponse {
	t.Helper()
	req := plaid.NewLinkTokenCreateRequest("Emulator Test", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US},
		*plaid.NewLinkTokenCreateRequestUser("user-1"))
	req.SetProducts([]plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	hl := plaid.NewLinkTokenCreateHostedLink()
	set(req, hl)
	req.SetHostedLink(*hl)
	resp, _, err := v.client.PlaidApi.LinkTokenCreate(v.ctx).LinkTokenCreateRequest(*req).Execute()
	if err != nil {
		t.Fatalf("/link/token/create: %v %s", err, errBody(err))
	}
	return resp
}

func errBody(err error) string {
	if ge, ok := err.(plaid.GenericOpenAPIError); ok {
		return string(ge.Body())
	}
	return ""
}

// plaidErr decodes err as the Plaid error plaid-go returned, failing the test if it is not one.
func plaidErr(t *testing.T, err error) plaid.PlaidError {
	t.Helper()
	if err == nil {
		t.Fatalf("expected a Plaid error, got success")
	}
	pe, perr := plaid.ToPlaidError(err)
	if perr != nil {
		t.Fatalf("error %v is not a Plaid error: %v (body %s)", err, perr, errBody(err))
	}
	return pe
}

// verifyWebhook checks a webhook's Plaid-Verification JWT the way Plaid tells receivers to (see
// hookcheck), and its Content-Type. A bad signature ends the test; a claim that is wrong under a
// good signature (typ, iat, body hash) is reported and the test goes on.
func (v *env) verifyWebhook(t *testing.T, h hook) {
	t.Helper()
	sig := h.Header.Get("Plaid-Verification")
	if sig == "" {
		t.Fatalf("webhook %s has no Plaid-Verification header", h.code())
	}
	if ct := h.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("webhook Content-Type = %q, want application/json", ct)
	}
	switch err := v.hooks.Verify(v.ctx, sig, h.Body); {
	case err == nil:
	case errors.Is(err, hookcheck.ErrType), errors.Is(err, hookcheck.ErrIssuedAt), errors.Is(err, hookcheck.ErrBodyHash):
		t.Errorf("webhook %s: %v", h.code(), err)
	default:
		t.Fatalf("webhook %s signature does not verify: %v", h.code(), err)
	}
}

// finishedWith returns the one SESSION_FINISHED webhook with the given status among hooks.
func finishedWith(t *testing.T, hooks []hook, status string) plaid.LinkSessionFinishedWebhook {
	t.Helper()
	var found []plaid.LinkSessionFinishedWebhook
	for _, h := range hooks {
		if h.code() != "SESSION_FINISHED" {
			continue
		}
		var f plaid.LinkSessionFinishedWebhook
		if err := json.Unmarshal(h.Body, &f); err != nil {
			t.Fatalf("decoding SESSION_FINISHED: %v", err)
		}
		if f.Status == status {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d SESSION_FINISHED webhooks with status %s among %s, want 1", len(found), status, codes(hooks))
	}
	return found[0]
}
