package flows

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

// recorder collects emitted records, and lets a test wait for one.
type recorder struct {
	t    testing.TB
	mu   sync.Mutex
	recs []Record
	out  bytes.Buffer // the same records as JSON lines, as --no-tui prints them
	line func(Record)
	cond chan struct{}
}

func newRecorder(t testing.TB) *recorder {
	r := &recorder{t: t, cond: make(chan struct{}, 1)}
	r.line = JSONLines(&lockedWriter{mu: &r.mu, w: &r.out})
	return r
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (r *recorder) emit(rec Record) {
	checkSchema(r.t, rec)
	r.line(rec) // takes r.mu through lockedWriter
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	r.mu.Unlock()
	select {
	case r.cond <- struct{}{}:
	default:
	}
}

// schema lists the fields each record must carry (see RunHeadless).
var schema = map[string][]string{
	"ready":                  {"half", "mode", "plaid_url", "webhook_url"},
	"link_token_created":     {"half", "link_token", "hosted_link_url"},
	"waiting":                {"hosted_link_url"},
	"webhook":                {"seq", "webhook_code", "verified", "duplicate"},
	"progress":               {"institution_down", "opted_in"},
	"recovery_email":         {"to", "url"},
	"public_token_exchanged": {"item_id", "institution_id", "accounts"},
	"forwarded":              {"seq", "url"},
	"error":                  {"step", "message", "hint"},
	"warning":                {"step", "message"},
	"done":                   {"half", "passed"},
}

func checkSchema(t testing.TB, rec Record) {
	t.Helper()
	ev, _ := rec["event"].(string)
	want, ok := schema[ev]
	if !ok {
		t.Errorf("record with unknown event %q: %v", ev, rec)
		return
	}
	if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(rec["time"])); err != nil {
		t.Errorf("%s record without an RFC3339Nano time: %v", ev, rec)
	}
	for _, f := range want {
		if v, ok := rec[f]; !ok || v == "" || v == nil {
			t.Errorf("%s record lacks %s: %v", ev, f, rec)
		}
	}
	if ev == "webhook" && rec["verified"] == false && rec["reason"] == nil {
		t.Errorf("unverified webhook without a reason: %v", rec)
	}
}

func (r *recorder) all() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Record(nil), r.recs...)
}

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// testWait bounds every wait on a condition in this package's tests, and the context of every
// run. It is generous because the machine is shared and -race is slow; a wait ends as soon as its
// condition holds, so it costs nothing when things are fast.
const testWait = 2 * time.Minute

// toldDeadline is a context whose deadline passes when the test says so: Err reports
// context.DeadlineExceeded once it is done, as a context.WithTimeout would.
type toldDeadline struct{ context.Context }

func (c toldDeadline) Err() error {
	if c.Context.Err() != nil {
		return context.DeadlineExceeded
	}
	return nil
}

// deadlineWhenTold returns a context and the function that makes its deadline pass.
func deadlineWhenTold() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	return toldDeadline{ctx}, cancel
}

// waitFor returns the first record matching pred, waiting up to d.
func (r *recorder) waitFor(t *testing.T, d time.Duration, pred func(Record) bool) Record {
	t.Helper()
	deadline := time.After(d)
	for {
		for _, rec := range r.all() {
			if pred(rec) {
				return rec
			}
		}
		select {
		case <-r.cond:
		case <-deadline:
			t.Fatalf("no matching record within %s; got:\n%s", d, r.text())
			return nil
		}
	}
}

func events(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r["event"].(string))
	}
	return out
}

func find(recs []Record, event string) []Record {
	var out []Record
	for _, r := range recs {
		if r["event"] == event {
			out = append(out, r)
		}
	}
	return out
}

func isEvent(name string) func(Record) bool { return func(r Record) bool { return r["event"] == name } }

// assertOrder checks that want appear in recs in this order (other records may come between).
func assertOrder(t *testing.T, recs []Record, want ...string) {
	t.Helper()
	i := 0
	for _, r := range recs {
		if i < len(want) && r["event"] == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Fatalf("records %v do not contain %v in order", events(recs), want)
	}
}

func newDemoEnv(t testing.TB, cfg Config) *Env {
	t.Helper()
	env, err := NewEnv(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	return env
}

// emulatorServer is an emulator standing in for Plaid at a loopback URL, as in sandbox-mode tests.
func emulatorServer(t *testing.T) (*emulator.Emulator, *emulatortest.Server) {
	t.Helper()
	s := emulatortest.New(t)
	return s.Emulator, s
}

func checkNoSecrets(t *testing.T, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("output holds a secret (%s)", secret.Mask(s))
		}
	}
	if strings.Contains(out, "access-sandbox-") {
		t.Error("output holds an access token")
	}
	if strings.Contains(out, `"public-sandbox-`) {
		t.Error("output holds a public token")
	}
}

func TestHalf2AutoDemo(t *testing.T) {
	env := newDemoEnv(t, Config{})
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if !RunHeadless(ctx, env, HalfOptions{Half: HalfSession, Auto: true}, rec.emit) {
		t.Fatalf("half 2 did not pass:\n%s", rec.text())
	}
	recs := rec.all()
	assertOrder(t, recs, "ready", "link_token_created", "webhook", "public_token_exchanged", "done")
	ready := find(recs, "ready")[0]
	if ready["mode"] != "demo" || ready["plaid_url"] != env.PlaidURL || !strings.HasPrefix(ready["webhook_url"].(string), "http://127.0.0.1:") {
		t.Errorf("ready = %v", ready)
	}
	lt := find(recs, "link_token_created")[0]
	if !strings.HasPrefix(lt["hosted_link_url"].(string), env.PlaidURL) || lt["link_token"] == "" || lt["half"] != 2 {
		t.Errorf("link_token_created = %v", lt)
	}
	var finished bool
	for _, w := range find(recs, "webhook") {
		if w["webhook_code"] == "SESSION_FINISHED" && w["verified"] == true {
			finished = true
		}
		if w["verified"] != true {
			t.Errorf("emulator webhook not verified: %v", w)
		}
	}
	if !finished {
		t.Error("no verified SESSION_FINISHED record")
	}
	ex := find(recs, "public_token_exchanged")[0]
	if ex["item_id"] == "" || ex["institution_id"] != emulator.DefaultInstitutionID || len(ex["accounts"].([]Record)) == 0 {
		t.Errorf("public_token_exchanged = %v", ex)
	}
	done := recs[len(recs)-1]
	if done["event"] != "done" || done["passed"] != true || done["via"] != "webhook" {
		t.Errorf("last record = %v", done)
	}
	for _, r := range recs {
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(r["time"])); err != nil {
			t.Errorf("record %v has no RFC3339Nano time", r["event"])
		}
	}
	checkNoSecrets(t, rec.text(), env.Emulator.Secret())
}

func TestHalf1AutoDemoThroughRecovery(t *testing.T) {
	env := newDemoEnv(t, Config{})
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if !RunHeadless(ctx, env, HalfOptions{Half: HalfSignup, Auto: true}, rec.emit) {
		t.Fatalf("half 1 did not pass:\n%s", rec.text())
	}
	recs := rec.all()
	assertOrder(t, recs, "ready", "link_token_created", "progress", "recovery_email", "public_token_exchanged", "done")
	last := find(recs, "progress")
	if p := last[len(last)-1]; p["institution_down"] != true || p["opted_in"] != true {
		t.Errorf("final progress = %v", p)
	}
	mail := find(recs, "recovery_email")[0]
	if mail["to"] != emulator.RecoveryEmail || !strings.HasPrefix(mail["url"].(string), env.PlaidURL) {
		t.Errorf("recovery_email = %v", mail)
	}
	// The sign-up session itself ends EXITED with no Item; the Item comes from the recovery session.
	var exited, succeeded bool
	for _, w := range find(recs, "webhook") {
		if w["webhook_code"] == "SESSION_FINISHED" {
			exited = exited || w["status"] == "EXITED"
			succeeded = succeeded || (w["status"] == "SUCCESS" && w["verified"] == true)
		}
	}
	if !succeeded {
		t.Errorf("no verified successful SESSION_FINISHED: %v", events(recs))
	}
	_ = exited // delivery of the EXITED one may race with the end of the run
	if env.Emulator.OptIns() != 0 {
		t.Errorf("opt-in still waiting after the restore: %d", env.Emulator.OptIns())
	}
	checkNoSecrets(t, rec.text(), env.Emulator.Secret())
}

func TestHalf2WebhooksDroppedFallsBackToPolling(t *testing.T) {
	env := newDemoEnv(t, Config{WebhookTimeout: 300 * time.Millisecond})
	env.Emulator.SetWebhookFault(emulator.WebhookFault{Drop: 10})
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	passed := RunHeadless(ctx, env, HalfOptions{Half: HalfSession, Auto: true, PollInterval: 50 * time.Millisecond}, rec.emit)
	recs := rec.all()
	if passed {
		t.Fatalf("a half with no webhook must not pass:\n%s", rec.text())
	}
	assertOrder(t, recs, "ready", "link_token_created", "error", "public_token_exchanged", "done")
	if n := len(find(recs, "webhook")); n != 0 {
		t.Errorf("%d webhook records, but all webhooks were dropped", n)
	}
	e := find(recs, "error")[0]
	if e["step"] != "webhook" || !strings.Contains(e["message"].(string), "falling back to polling /link/token/get") || e["hint"] == "" {
		t.Errorf("fallback not reported: %v", e)
	}
	if ex := find(recs, "public_token_exchanged")[0]; ex["via"] != "polling" || ex["item_id"] == "" {
		t.Errorf("exchange after fallback = %v", ex)
	}
	done := recs[len(recs)-1]
	if done["passed"] != false || !strings.Contains(fmt.Sprint(done["reason"]), "webhook") {
		t.Errorf("done = %v", done)
	}
}

// An unverified SESSION_FINISHED (forged: no Plaid-Verification header) is reported and ignored;
// the half passes only on the real, verified one.
func TestHalf2UnverifiedWebhookIgnored(t *testing.T) {
	env := newDemoEnv(t, Config{})
	ctx, rec, result := startHalf2(t, env)

	lt := rec.waitFor(t, testWait, isEvent("link_token_created"))
	forged, _ := json.Marshal(map[string]any{"webhook_type": "LINK", "webhook_code": "SESSION_FINISHED", "status": "SUCCESS",
		"link_token": lt["link_token"], "public_tokens": []string{"public-sandbox-forged"}})
	resp, err := http.Post(env.WebhookURL(), "application/json", bytes.NewReader(forged))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	bad := rec.waitFor(t, testWait, func(r Record) bool { return r["event"] == "webhook" && r["verified"] == false })
	if bad["reason"] == "" || bad["webhook_code"] != "SESSION_FINISHED" {
		t.Errorf("unverified webhook record = %v", bad)
	}
	if len(find(rec.all(), "public_token_exchanged")) != 0 {
		t.Fatal("exchanged on an unverified webhook")
	}
	if err := env.Emulator.CompleteSession(ctx, lt["hosted_link_url"].(string), AutoSessionCredentials); err != nil {
		t.Fatal(err)
	}
	if !<-result {
		t.Fatalf("did not pass on the verified webhook:\n%s", rec.text())
	}
	if ex := find(rec.all(), "public_token_exchanged"); len(ex) != 1 || ex[0]["via"] != "webhook" {
		t.Errorf("exchanges = %v", ex)
	}
}

// Sandbox mode against an emulator standing in for Plaid at a configurable base URL: the same
// flow, with a person (here the test) finishing the Hosted Link session.
func TestSandboxModeAgainstEmulator(t *testing.T) {
	emu, srv := emulatorServer(t)
	cfg := Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: srv.URL, WebhookTimeout: testWait}
	env := newDemoEnv(t, cfg)
	if env.Mode != ModeSandbox || env.Emulator != nil || env.TunnelProvider() != tunnel.ProviderLocal {
		t.Fatalf("mode %s emulator %v provider %s", env.Mode, env.Emulator != nil, env.TunnelProvider())
	}
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()

	if RunHeadless(ctx, env, HalfOptions{Half: HalfSession, Auto: true}, rec.emit) {
		t.Fatal("--auto must be refused outside demo mode")
	}
	if e := find(rec.all(), "error"); len(e) != 1 || e[0]["step"] != "start" {
		t.Fatalf("want a start error, got %v", rec.text())
	}

	rec = newRecorder(t)
	result := make(chan bool, 1)
	go func() { result <- RunHeadless(ctx, env, HalfOptions{Half: HalfSession}, rec.emit) }()
	lt := rec.waitFor(t, testWait, isEvent("link_token_created"))
	if err := emu.CompleteSession(ctx, lt["hosted_link_url"].(string), AutoSessionCredentials); err != nil {
		t.Fatal(err)
	}
	if !<-result {
		t.Fatalf("sandbox half 2 did not pass:\n%s", rec.text())
	}
	recs := rec.all()
	assertOrder(t, recs, "ready", "link_token_created", "waiting", "webhook", "public_token_exchanged", "done")
	if r := find(recs, "ready")[0]; r["mode"] != "sandbox" || r["plaid_url"] != srv.URL {
		t.Errorf("ready = %v", r)
	}
	checkNoSecrets(t, rec.text(), emu.Secret())
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		if out := fmt.Sprintf(verb, env); strings.Contains(out, emu.Secret()) || !strings.Contains(out, srv.URL) {
			t.Errorf("%s of the Env = %s", verb, out)
		}
	}
}

func TestSandboxWrongKeys(t *testing.T) {
	_, srv := emulatorServer(t)
	wrong := "wrong-secret-0123456789abcdef"
	env := newDemoEnv(t, Config{ClientID: "not-a-client", Secret: wrong, PlaidURL: srv.URL})
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if RunHeadless(ctx, env, HalfOptions{Half: HalfSession}, rec.emit) {
		t.Fatal("wrong keys passed")
	}
	recs := rec.all()
	assertOrder(t, recs, "ready", "error", "done")
	e := find(recs, "error")[0]
	if e["code"] != "INVALID_API_KEYS" || e["step"] != "link_token_create" || e["request_id"] == nil ||
		!strings.Contains(fmt.Sprint(e["hint"]), "PLAID_CLIENT_ID") {
		t.Errorf("error record = %v", e)
	}
	checkNoSecrets(t, rec.text(), wrong)
}

func TestPlaidErrorsFromEmulatorFaults(t *testing.T) {
	env := newDemoEnv(t, Config{})
	ctx := context.Background()
	if _, err := env.CreateHostedLinkToken(ctx, HalfSession); !errors.Is(err, ErrNoWebhook) {
		t.Fatalf("token before the tunnel: %v", err)
	}
	if _, err := env.OpenTunnel(ctx); err != nil {
		t.Fatal(err)
	}

	env.Emulator.InjectFault(emulator.Fault{Path: "/link/token/create", ErrorType: "RATE_LIMIT_EXCEEDED",
		ErrorCode: "RATE_LIMIT_EXCEEDED", ErrorMessage: "too many requests", HTTPStatus: 429})
	_, err := env.CreateHostedLinkToken(ctx, HalfSession)
	var pe *PlaidError
	if !errors.As(err, &pe) || pe.Code != "RATE_LIMIT_EXCEEDED" || pe.HTTPStatus != 429 || pe.Endpoint != "/link/token/create" ||
		pe.RequestID == "" || !strings.Contains(pe.Hint(), "wait") {
		t.Fatalf("rate limit: %T %+v", err, pe)
	}

	env.Emulator.InjectFault(emulator.Fault{Path: "/link/token/create", HTTPStatus: 500})
	_, err = env.CreateHostedLinkToken(ctx, HalfSession)
	if !errors.As(err, &pe) || pe.HTTPStatus != 500 || pe.Type != "API_ERROR" || pe.Hint() == "" {
		t.Fatalf("bare 500: %T %+v", err, pe)
	}

	// The fault is used up: the next call works.
	lt, err := env.CreateHostedLinkToken(ctx, HalfSession)
	if err != nil {
		t.Fatal(err)
	}
	if lt.Webhook != env.WebhookURL() || lt.RedirectURI != env.CurrentReceiver().CompleteURL(env.CurrentTunnel().CompleteURL()) {
		t.Errorf("token = %+v", lt)
	}
	st, err := env.GetLinkToken(ctx, lt.Token)
	if err != nil {
		t.Fatal(err)
	}
	if st.FirstPublicToken() != "" {
		t.Errorf("fresh token has a result: %+v", st)
	}

	_, err = env.Exchange(ctx, "public-sandbox-00000000-0000-0000-0000-000000000000")
	if !errors.As(err, &pe) || pe.Code != "INVALID_PUBLIC_TOKEN" || !strings.Contains(pe.Hint(), "30 minutes") {
		t.Fatalf("bad public token: %T %v", err, err)
	}
	_, err = env.GetLinkToken(ctx, "link-sandbox-00000000-0000-0000-0000-000000000000")
	if !errors.As(err, &pe) || pe.Code == "" || pe.Hint() == "" {
		t.Fatalf("bad link token: %T %v", err, err)
	}

	// A slow Plaid and a cancelled ctx: the call returns promptly with a context error.
	env.Emulator.InjectFault(emulator.Fault{Path: "/link/token/get", Delay: 5 * time.Second})
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = env.GetLinkToken(cctx, lt.Token)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow call: err %v, want the context's deadline", err)
	}
}

func TestHalf2WaitsOnlyAsLongAsCtx(t *testing.T) {
	env := newDemoEnv(t, Config{})
	rec := newRecorder(t)
	// The deadline passes once the run is waiting, not after a fixed time that a loaded machine
	// might spend creating the token.
	ctx, expire := deadlineWhenTold()
	defer expire()
	go func() {
		defer expire()
		for len(find(rec.all(), "waiting")) == 0 {
			select {
			case <-rec.cond:
			case <-ctx.Done():
				return
			}
		}
	}()
	if RunHeadless(ctx, env, HalfOptions{Half: HalfSession}, rec.emit) {
		t.Fatal("passed with nobody finishing the session")
	}
	recs := rec.all()
	assertOrder(t, recs, "ready", "link_token_created", "waiting", "error", "done")
	if e := find(recs, "error")[0]; e["step"] != "wait" || !strings.Contains(fmt.Sprint(e["message"]), "timed out") {
		t.Errorf("error = %v", e)
	}
}

// In sandbox mode without --webhook-url and with a real (non-loopback) Plaid URL, the tunnel is
// ngrok; with no NGROK_AUTHTOKEN it fails at once, clearly, and the Env stays usable.
func TestTunnelErrorIsReported(t *testing.T) {
	env := newDemoEnv(t, Config{ClientID: "id", Secret: "secret-0123456789abcdef", PlaidURL: "https://sandbox.plaid.com"})
	if env.TunnelProvider() != tunnel.ProviderNgrok {
		t.Fatalf("provider = %s", env.TunnelProvider())
	}
	_, err := env.OpenTunnel(context.Background())
	var te *tunnel.Error
	if !errors.As(err, &te) || !strings.Contains(te.Error(), "NGROK_AUTHTOKEN") {
		t.Fatalf("want a *tunnel.Error naming NGROK_AUTHTOKEN, got %T %v", err, err)
	}
	if env.CurrentTunnel() != nil || env.CurrentReceiver() != nil {
		t.Error("a failed tunnel left state behind")
	}
	rec := newRecorder(t)
	if RunHeadless(context.Background(), env, HalfOptions{Half: HalfSession}, rec.emit) {
		t.Fatal("passed without a tunnel")
	}
	e := find(rec.all(), "error")
	if len(e) != 1 || e[0]["step"] != "tunnel" || e[0]["hint"] != te.Next {
		t.Errorf("errors = %v", e)
	}
	if _, err := env.CreateHostedLinkToken(context.Background(), HalfSession); !errors.Is(err, ErrNoWebhook) {
		t.Errorf("token without tunnel: %v", err)
	}
}

func TestCloseTwiceAndOpenAfterClose(t *testing.T) {
	env, err := NewEnv(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.OpenTunnel(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-env.rcv.Events(); ok {
		t.Error("receiver events still open after Close")
	}
	env2, err := NewEnv(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	env2.Close()
	if _, err := env2.OpenTunnel(context.Background()); err == nil {
		t.Error("OpenTunnel after Close must fail")
	}
}

func BenchmarkHalf2Auto(b *testing.B) { benchHalfAuto(b, HalfSession) }

// benchHalfAuto runs a whole demo half with --auto per iteration, from NewEnv to done.
func benchHalfAuto(b *testing.B, half Half) {
	for b.Loop() {
		env, err := NewEnv(context.Background(), Config{})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		var last Record
		if !RunHeadless(ctx, env, HalfOptions{Half: half, Auto: true}, func(r Record) { last = r }) {
			b.Fatalf("%v failed: %v", half, last)
		}
		cancel()
		env.Close()
	}
}

func BenchmarkNewEnv(b *testing.B) {
	for b.Loop() {
		env, err := NewEnv(context.Background(), Config{})
		if err != nil {
			b.Fatal(err)
		}
		env.Close()
	}
}

// A person slower in Link than WebhookTimeout is not mistaken for a broken webhook path: the clock
// starts when /link/token/get shows the session finished.
func TestHalf2SlowPersonIsNotAWebhookFailure(t *testing.T) {
	// The timeout is wide enough for a loaded machine to deliver the webhook after the finish; the
	// person takes longer than it before finishing.
	const timeout = 5 * time.Second
	env := newDemoEnv(t, Config{WebhookTimeout: timeout})
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	result := make(chan bool, 1)
	go func() {
		result <- RunHeadless(ctx, env, HalfOptions{Half: HalfSession, PollInterval: 20 * time.Millisecond}, rec.emit)
	}()
	lt := rec.waitFor(t, testWait, isEvent("link_token_created"))
	time.Sleep(timeout + 300*time.Millisecond) // "reading the bank's page" for longer than the timeout
	if err := env.Emulator.CompleteSession(ctx, lt["hosted_link_url"].(string), AutoSessionCredentials); err != nil {
		t.Fatal(err)
	}
	if !<-result {
		t.Fatalf("did not pass:\n%s", rec.text())
	}
	if e := find(rec.all(), "error"); len(e) != 0 {
		t.Errorf("spurious errors: %v", e)
	}
}

// A passing /link/token/get failure while following the session is reported, not fatal.
func TestHalf2TransientPollErrorIsNotFatal(t *testing.T) {
	env := newDemoEnv(t, Config{WebhookTimeout: 200 * time.Millisecond})
	env.Emulator.SetWebhookFault(emulator.WebhookFault{Drop: 10})
	env.Emulator.InjectFault(emulator.Fault{Path: "/link/token/get", Count: 2, ErrorType: "API_ERROR",
		ErrorCode: "INTERNAL_SERVER_ERROR", ErrorMessage: "an unexpected error occurred", HTTPStatus: 500})
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	RunHeadless(ctx, env, HalfOptions{Half: HalfSession, Auto: true, PollInterval: 20 * time.Millisecond}, rec.emit)
	recs := rec.all()
	errs := find(recs, "error")
	if len(errs) != 2 || errs[0]["step"] != "link_token_get" || errs[0]["code"] != "INTERNAL_SERVER_ERROR" ||
		errs[0]["request_id"] == nil || errs[1]["step"] != "webhook" {
		t.Fatalf("errors = %v", errs)
	}
	if len(find(recs, "public_token_exchanged")) != 1 {
		t.Errorf("no exchange after the blip:\n%s", rec.text())
	}
}

// --public-host builds every URL a phone sees (Hosted Link, e-mail link, webhook, /complete) with
// that host. The test keeps to loopback by resolving "localhost" and listening on 127.0.0.1 only.
func TestPublicHostBuildsURLs(t *testing.T) {
	old := listenAll
	listenAll = "127.0.0.1:0"
	t.Cleanup(func() { listenAll = old })

	env := newDemoEnv(t, Config{PublicHost: "localhost"})
	if !strings.HasPrefix(env.PlaidURL, "http://localhost:") {
		t.Fatalf("PlaidURL = %s", env.PlaidURL)
	}
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if !RunHeadless(ctx, env, HalfOptions{Half: HalfSignup, Auto: true}, rec.emit) {
		t.Fatalf("did not pass:\n%s", rec.text())
	}
	recs := rec.all()
	ready := find(recs, "ready")[0]
	lt := find(recs, "link_token_created")[0]
	mail := find(recs, "recovery_email")[0]
	for name, u := range map[string]any{"webhook_url": ready["webhook_url"], "hosted_link_url": lt["hosted_link_url"],
		"completion_redirect_uri": lt["completion_redirect_uri"], "recovery url": mail["url"]} {
		if !strings.HasPrefix(fmt.Sprint(u), "http://localhost:") {
			t.Errorf("%s = %v, want the public host", name, u)
		}
	}
}

// --webhook-url with --listen: the user's own tunnel. The webhook URL is theirs; the receiver
// listens where their tunnel forwards to.
func TestOwnWebhookURL(t *testing.T) {
	_, srv := emulatorServer(t)
	env := newDemoEnv(t, Config{ClientID: "id", Secret: "secret-0123456789abcdef", PlaidURL: srv.URL,
		WebhookURL: "https://hooks.example.com/", Listen: "127.0.0.1:0"})
	if env.TunnelProvider() != tunnel.ProviderURL {
		t.Fatalf("provider = %s", env.TunnelProvider())
	}
	tn, err := env.OpenTunnel(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if env.WebhookURL() != "https://hooks.example.com/webhook" || tn.CompleteURL() != "https://hooks.example.com/complete" {
		t.Errorf("urls = %s %s", env.WebhookURL(), tn.CompleteURL())
	}
	// The receiver answers on the local address.
	resp, err := http.Get("http://" + tn.Listener.Addr().String() + "/complete")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/complete answered %d", resp.StatusCode)
	}
	// A second OpenTunnel returns the same tunnel rather than a second listener.
	if again, err := env.OpenTunnel(context.Background()); err != nil || again != tn {
		t.Errorf("second OpenTunnel: %v %v", again, err)
	}
}

// A half whose session ends the wrong way fails at once, saying why, instead of waiting for ctx:
// half 1 finished with an Item (no outage, no opt-in), half 2 exited into the opt-in (no Item).
func TestHalfEndsTheWrongWay(t *testing.T) {
	cases := []struct {
		half  Half
		creds emulator.Credentials
		want  []string
	}{
		{HalfSignup, AutoSessionCredentials, []string{"the institution-down error and the recovery opt-in", emulator.PassInstitutionDown}},
		{HalfSession, AutoSignupCredentials, []string{"without an Item", "EXITED"}},
	}
	for _, c := range cases {
		t.Run(c.half.String(), func(t *testing.T) {
			env := newDemoEnv(t, Config{})
			rec := newRecorder(t)
			ctx, cancel := context.WithTimeout(context.Background(), testWait)
			defer cancel()
			result := make(chan bool, 1)
			go func() {
				result <- RunHeadless(ctx, env, HalfOptions{Half: c.half, PollInterval: 20 * time.Millisecond}, rec.emit)
			}()
			lt := rec.waitFor(t, testWait, isEvent("link_token_created"))
			if err := env.Emulator.CompleteSession(ctx, lt["hosted_link_url"].(string), c.creds); err != nil {
				t.Fatal(err)
			}
			if <-result {
				t.Fatalf("passed:\n%s", rec.text())
			}
			if ctx.Err() != nil {
				t.Fatal("waited for the deadline instead of failing at once")
			}
			errs := find(rec.all(), "error")
			if len(errs) != 1 || errs[0]["step"] != "session" {
				t.Fatalf("errors = %v", errs)
			}
			for _, w := range c.want {
				if !strings.Contains(fmt.Sprint(errs[0]["message"]), w) {
					t.Errorf("message %q lacks %q", errs[0]["message"], w)
				}
			}
		})
	}
}

// BenchmarkHalf1Auto is the demo's whole sign-up half with --auto, through the recovery e-mail and
// the recovery session's exchange.
func BenchmarkHalf1Auto(b *testing.B) { benchHalfAuto(b, HalfSignup) }

// Sandbox half 1: a person logs in to the down bank and opts in; the half passes there (nothing
// can bring a real Sandbox bank back on demand), with no restore and no exchange.
func TestSandboxHalf1(t *testing.T) {
	emu, srv := emulatorServer(t)
	env := newDemoEnv(t, Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: srv.URL})
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	result := make(chan bool, 1)
	go func() {
		result <- RunHeadless(ctx, env, HalfOptions{Half: HalfSignup, PollInterval: 20 * time.Millisecond}, rec.emit)
	}()
	lt := rec.waitFor(t, testWait, isEvent("link_token_created"))
	if err := emu.CompleteSession(ctx, lt["hosted_link_url"].(string), AutoSignupCredentials); err != nil {
		t.Fatal(err)
	}
	if !<-result {
		t.Fatalf("did not pass:\n%s", rec.text())
	}
	recs := rec.all()
	assertOrder(t, recs, "ready", "link_token_created", "waiting", "progress", "done")
	if n := len(find(recs, "recovery_email")) + len(find(recs, "public_token_exchanged")); n != 0 {
		t.Errorf("sandbox half 1 went past the opt-in: %v", events(recs))
	}
	if emu.OptIns() != 1 {
		t.Errorf("opt-ins waiting = %d, want 1", emu.OptIns())
	}
}

// --forward-to: every webhook is relayed to the developer's app, and the run reports its answers.
func TestForwardToIsReported(t *testing.T) {
	var mu sync.Mutex
	var got []string
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var wh webhook.Webhook
		_ = json.NewDecoder(r.Body).Decode(&wh)
		mu.Lock()
		got = append(got, wh.WebhookCode)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer app.Close()
	env := newDemoEnv(t, Config{ForwardTo: app.URL + "/plaid/webhook"})
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if !RunHeadless(ctx, env, HalfOptions{Half: HalfSession, Auto: true}, rec.emit) {
		t.Fatalf("did not pass:\n%s", rec.text())
	}
	// Every relay that reached the app during the run is reported before "done": the run lets the
	// relays in flight finish first.
	mu.Lock()
	atEnd := len(got)
	mu.Unlock()
	all := rec.all()
	if fw := find(all, "forwarded"); len(fw) < atEnd || atEnd == 0 || all[len(all)-1]["event"] != "done" {
		t.Errorf("%d relays reached the app during the run, %d reported before done:\n%s", atEnd, len(fw), rec.text())
	}
	// Forwarding is asynchronous: wait for the relay of SESSION_FINISHED to be reported by the
	// receiver (the run itself may have ended first).
	deadline := time.Now().Add(testWait)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if !contains(got, "SESSION_FINISHED") {
		t.Errorf("the app got %v, want SESSION_FINISHED among them", got)
	}
	// Relays that finished during the run are reported (later ones may come after done).
	for _, f := range find(rec.all(), "forwarded") {
		if f["status_code"] != http.StatusAccepted || f["url"] != app.URL+"/plaid/webhook" {
			t.Errorf("forwarded = %v", f)
		}
	}
}

// How the run reports receiver events other than its own webhooks.
func TestHandleEventRecords(t *testing.T) {
	rec := newRecorder(t)
	handle := func(ev webhook.Event, tokens []string) bool {
		r, mine := EventRecord(ev, tokens)
		if r != nil {
			r["time"] = time.Now().UTC().Format(time.RFC3339Nano)
			rec.emit(r)
		}
		return mine
	}
	mine := handle(webhook.Event{Kind: webhook.EventForward, Forward: &webhook.ForwardResult{Seq: 7, URL: "http://127.0.0.1:9/x",
		Latency: 15 * time.Millisecond, Err: "connection refused"}}, nil)
	other := handle(webhook.Event{Kind: webhook.EventWebhook, Seq: 8, Verified: true,
		Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "SESSION_FINISHED", LinkToken: "link-other"}}, []string{"link-mine"})
	ours := handle(webhook.Event{Kind: webhook.EventWebhook, Seq: 9, Reason: "signature does not match",
		Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "EVENTS", LinkToken: "link-mine"}}, []string{"link-mine"})
	handle(webhook.Event{Kind: webhook.EventRejected, Status: 405, Reason: "method GET not allowed"}, nil)
	handle(webhook.Event{Kind: webhook.EventComplete}, nil)
	if mine || other || !ours {
		t.Errorf("concerns: forward %v, other token %v, own token %v", mine, other, ours)
	}
	recs := rec.all()
	if got := events(recs); strings.Join(got, ",") != "forwarded,webhook,webhook,error" {
		t.Fatalf("records = %v", got)
	}
	if f := recs[0]; f["seq"] != int64(7) || f["latency_ms"] != int64(15) || f["error"] != "connection refused" {
		t.Errorf("forwarded = %v", f)
	}
	if recs[1]["other_link_token"] != true || recs[2]["other_link_token"] != nil {
		t.Errorf("other_link_token: %v / %v", recs[1], recs[2])
	}
	if recs[2]["verified"] != false || recs[2]["reason"] != "signature does not match" {
		t.Errorf("unverified = %v", recs[2])
	}
	if e := recs[3]; e["step"] != "receiver" || !strings.Contains(fmt.Sprint(e["message"]), "405") {
		t.Errorf("rejected = %v", e)
	}
}

// A request the receiver refuses (not JSON) is reported as a receiver error; the run goes on.
func TestRejectedRequestIsReported(t *testing.T) {
	env := newDemoEnv(t, Config{})
	ctx, rec, result := startHalf2(t, env)
	lt := rec.waitFor(t, testWait, isEvent("link_token_created"))
	resp, err := http.Post(env.WebhookURL(), "text/plain", strings.NewReader("not json"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	e := rec.waitFor(t, testWait, isEvent("error"))
	if e["step"] != "receiver" || !strings.Contains(fmt.Sprint(e["message"]), "refused") {
		t.Errorf("error = %v", e)
	}
	if err := env.Emulator.CompleteSession(ctx, lt["hosted_link_url"].(string), AutoSessionCredentials); err != nil {
		t.Fatal(err)
	}
	if !<-result {
		t.Fatalf("a refused stray request failed the half:\n%s", rec.text())
	}
}

// If the receiver stops mid-run no webhook can come: the run says so at once and follows the
// session by /link/token/get instead of waiting out the webhook timeout.
func TestReceiverStopsMidRun(t *testing.T) {
	env := newDemoEnv(t, Config{}) // default 3 min timeout: the fallback must not wait for it
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	result := make(chan bool, 1)
	go func() {
		result <- RunHeadless(ctx, env, HalfOptions{Half: HalfSession, PollInterval: 20 * time.Millisecond}, rec.emit)
	}()
	lt := rec.waitFor(t, testWait, isEvent("link_token_created"))
	env.CurrentReceiver().Close()
	rec.waitFor(t, testWait, func(r Record) bool { return r["event"] == "error" && r["step"] == "webhook" })
	if err := env.Emulator.CompleteSession(ctx, lt["hosted_link_url"].(string), AutoSessionCredentials); err != nil {
		t.Fatal(err)
	}
	if <-result {
		t.Fatal("passed without a webhook")
	}
	if ctx.Err() != nil {
		t.Fatal("waited for the deadline")
	}
	recs := rec.all()
	assertOrder(t, recs, "ready", "link_token_created", "error", "error", "public_token_exchanged", "done")
	if ex := find(recs, "public_token_exchanged")[0]; ex["via"] != "polling" {
		t.Errorf("exchange = %v", ex)
	}
}

// --transcript records a run: the same records as the output, one JSON line each, in a 0600 file.
func TestTranscriptOfARun(t *testing.T) {
	path := t.TempDir() + "/run.jsonl"
	tr, err := OpenTranscript(path)
	if err != nil {
		t.Fatal(err)
	}
	env := newDemoEnv(t, Config{})
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if !RunHeadless(ctx, env, HalfOptions{Half: HalfSession, Auto: true}, Tee(rec.emit, tr.Emit)) {
		t.Fatalf("did not pass:\n%s", rec.text())
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if string(data) != rec.text() {
		t.Errorf("transcript differs from the output:\n%s\nvs\n%s", data, rec.text())
	}
	if n := strings.Count(string(data), "\n"); n != len(rec.all()) {
		t.Errorf("%d lines for %d records", n, len(rec.all()))
	}
	checkNoSecrets(t, string(data), env.Emulator.Secret())
}

// Plaid may deliver a webhook twice: duplicates are reported as such and exchange nothing twice.
func TestDuplicateWebhooks(t *testing.T) {
	env := newDemoEnv(t, Config{})
	env.Emulator.SetWebhookFault(emulator.WebhookFault{Duplicate: 10})
	ctx, rec, result := startHalf2(t, env)
	lt := rec.waitFor(t, testWait, isEvent("link_token_created"))
	if err := env.Emulator.CompleteSession(ctx, lt["hosted_link_url"].(string), AutoSessionCredentials); err != nil {
		t.Fatal(err)
	}
	if !<-result {
		t.Fatalf("did not pass:\n%s", rec.text())
	}
	// The duplicate of SESSION_FINISHED may land after the run ended; earlier ones are in the run.
	var dups int
	for _, w := range find(rec.all(), "webhook") {
		if w["duplicate"] == true {
			dups++
		}
	}
	if dups == 0 {
		t.Errorf("no duplicate reported: %v", events(rec.all()))
	}
	if n := len(find(rec.all(), "public_token_exchanged")); n != 1 {
		t.Errorf("%d exchanges", n)
	}
}

// When the tunnel cannot open, a token without a webhook still lets /link/token/get follow the
// session to its public token: the fallback the TUI offers while the tunnel is fixed.
func TestPollingLinkTokenWithoutTunnel(t *testing.T) {
	emu, srv := emulatorServer(t)
	env, err := NewEnv(context.Background(), Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()

	lt, err := env.CreatePollingLinkToken(ctx, HalfSession)
	if err != nil {
		t.Fatalf("CreatePollingLinkToken: %v", err)
	}
	if lt.Webhook != "" || lt.RedirectURI != "" || lt.HostedLinkURL == "" {
		t.Fatalf("token %+v: want a hosted_link_url and neither webhook nor redirect", lt)
	}
	if err := emu.CompleteSession(ctx, lt.HostedLinkURL, AutoSessionCredentials); err != nil {
		t.Fatal(err)
	}
	st, err := env.GetLinkToken(ctx, lt.Token)
	if err != nil {
		t.Fatal(err)
	}
	pt := st.FirstPublicToken()
	if pt == "" {
		t.Fatalf("/link/token/get shows no public token: %+v", st)
	}
	if item, err := env.Exchange(ctx, pt); err != nil || item.ItemID == "" {
		t.Fatalf("exchange: %+v, %v", item, err)
	}
	if ds := emu.Deliveries(); len(ds) != 0 {
		t.Errorf("a token without a webhook made the emulator send %d webhooks", len(ds))
	}
}

// startHalf2 runs half 2 headless in the background for at most 30 s (the returned ctx); the test
// plays Plaid or the person, reads the records, and receives the result.
func startHalf2(t *testing.T, env *Env) (context.Context, *recorder, <-chan bool) {
	return startHalf(t, env, HalfOptions{Half: HalfSession})
}

// startHalf runs a half headless with o in the background for at most 30 s (the returned ctx).
func startHalf(t *testing.T, env *Env, o HalfOptions) (context.Context, *recorder, <-chan bool) {
	t.Helper()
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	t.Cleanup(cancel)
	result := make(chan bool, 1)
	go func() { result <- RunHeadless(ctx, env, o, rec.emit) }()
	return ctx, rec, result
}

// TestCompletionRedirectCarriesNonce: the completion_redirect_uri the app builds carries the
// receiver's nonce, so following it ticks "completion page reached" while the bare /complete URL
// (all a LAN neighbour knows) shows a page and ticks nothing.
func TestCompletionRedirectCarriesNonce(t *testing.T) {
	env := newDemoEnv(t, Config{})
	ctx := context.Background()
	tn, err := env.OpenTunnel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lt, err := env.CreateHostedLinkToken(ctx, HalfSession)
	if err != nil {
		t.Fatal(err)
	}
	if nonce := strings.TrimPrefix(lt.RedirectURI, tn.CompleteURL()+"/"); nonce == lt.RedirectURI || len(nonce) < 20 {
		t.Fatalf("completion_redirect_uri %q carries no nonce", lt.RedirectURI)
	}
	for _, u := range []string{tn.CompleteURL(), tn.CompleteURL() + "/guess", lt.RedirectURI} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-env.CurrentReceiver().Events():
			if ev.Kind != webhook.EventComplete {
				continue
			}
			var completes int
			for _, e := range env.CurrentReceiver().Recent() {
				if e.Kind == webhook.EventComplete {
					completes++
				}
			}
			if completes != 1 {
				t.Fatalf("%d completion events; only the visit with the nonce counts", completes)
			}
			return
		case <-deadline:
			t.Fatal("following the completion_redirect_uri did not count")
		}
	}
}

// Every headless run ends by itself: Plaid (here the emulator standing in for it) dies after the
// token is made, and once it has not answered for TransportGrace the run ends with done
// passed:false, the reason and the next step, instead of waiting forever.
func TestHeadlessEndsWhenPlaidDies(t *testing.T) {
	emu, srv := emulatorServer(t)
	env := newDemoEnv(t, Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: srv.URL})
	ctx, rec, result := startHalf(t, env, HalfOptions{Half: HalfSession, PollInterval: 20 * time.Millisecond,
		TransportGrace: 300 * time.Millisecond})
	rec.waitFor(t, 10*time.Second, isEvent("link_token_created"))
	srv.HTTPServer.CloseClientConnections()
	srv.HTTPServer.Close()
	if <-result {
		t.Fatal("passed with Plaid gone")
	}
	if ctx.Err() != nil {
		t.Fatal("the run waited for its deadline instead of ending by itself")
	}
	recs := rec.all()
	done := recs[len(recs)-1]
	if done["event"] != "done" || done["passed"] != false || !strings.Contains(fmt.Sprint(done["reason"]), "not answered") {
		t.Errorf("done = %v", done)
	}
	var gaveUp Record
	for _, e := range find(recs, "error") {
		if e["step"] == "transport" {
			gaveUp = e
		}
	}
	if gaveUp == nil || !strings.Contains(fmt.Sprint(gaveUp["hint"]), srv.URL) || !strings.Contains(fmt.Sprint(gaveUp["hint"]), "run the half again") {
		t.Errorf("no transport error with the next step: %v", find(recs, "error"))
	}
}

// Tokens ask for auth unless --products says otherwise, so the Item's TRANSACTIONS webhooks do
// not keep arriving at this run's webhook URL long after it.
func TestTokenProducts(t *testing.T) {
	for _, c := range []struct {
		products []string
		want     string
	}{{nil, "auth"}, {[]string{"auth", "transactions"}, "auth,transactions"}} {
		env := newDemoEnv(t, Config{Products: c.products})
		ctx := context.Background()
		if _, err := env.OpenTunnel(ctx); err != nil {
			t.Fatal(err)
		}
		lt, err := env.CreateHostedLinkToken(ctx, HalfSession)
		if err != nil {
			t.Fatal(err)
		}
		resp, _, err := env.Plaid.PlaidApi.LinkTokenGet(ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt.Token)).Execute()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range resp.Metadata.GetInitialProducts() {
			got = append(got, string(p))
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("products %v: the token has %v, want %s", c.products, got, c.want)
		}
	}
	if _, err := ParseProducts("auth, transactions"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "auth,nonsense", " , "} {
		if _, err := ParseProducts(bad); err == nil || !strings.Contains(err.Error(), "--products") {
			t.Errorf("ParseProducts(%q) = %v, want an error naming --products", bad, err)
		}
	}
}
