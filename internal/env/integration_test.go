package env_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/testkit"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

// newRecorder is a run recorder that checks each record against the event table of docs/headless.md.
func newRecorder(t testing.TB) *testkit.Recorder {
	r := testkit.NewRecorder(t)
	r.Check = checkSchema
	return r
}

// Credentials for walking a session with the emulator directly (as a person at the page would).
var (
	sessionCreds = emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}
	signupCreds  = emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassInstitutionDown,
		Email: emulator.RecoveryEmail, Code: emulator.RecoveryCode}
)

// schema lists the fields each record must carry (see flows.RecordOf).
var schema = map[string][]string{
	"ready":                  {"scenario", "mode", "plaid_url", "webhook_url"},
	"link_token_created":     {"scenario", "link_token", "hosted_link_url"},
	"waiting":                {"hosted_link_url"},
	"webhook":                {"seq", "webhook_code", "verified", "duplicate"},
	"progress":               {"institution_down", "opted_in"},
	"recovery_email":         {"to", "url"},
	"public_token_exchanged": {"scenario", "item_id", "institution_id", "accounts"},
	"forwarded":              {"seq", "url"},
	"error":                  {"step", "message", "hint"},
	"warning":                {"step", "message"},
	"done":                   {"scenario", "passed", "reason"},
}

// docFields are the fields docs/headless.md's event table gives each event (its backticked words).
var docFields = sync.OnceValues(func() (map[string][]string, error) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "headless.md"))
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	tick := regexp.MustCompile("`([a-z_]+)`")
	for _, line := range strings.Split(string(b), "\n") {
		cols := strings.Split(line, "|")
		if len(cols) < 4 || !strings.HasPrefix(strings.TrimSpace(cols[1]), "`") {
			continue
		}
		ev := strings.Trim(strings.TrimSpace(cols[1]), "`")
		for _, m := range tick.FindAllStringSubmatch(cols[2], -1) {
			out[ev] = append(out[ev], m[1])
		}
	}
	return out, nil
})

func checkSchema(t testing.TB, rec flows.Record) {
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
	docs, err := docFields()
	if err != nil {
		t.Fatalf("docs/headless.md: %v", err)
	}
	for k := range rec {
		if k != "event" && k != "time" && !slices.Contains(docs[ev], k) {
			t.Errorf("docs/headless.md's event table does not give %s records the field %s: %v", ev, k, rec)
		}
	}
	if ev == "waiting" && rec["credentials"] == nil && !strings.Contains(fmt.Sprint(rec["message"]), "EVENTS") {
		t.Errorf("a waiting record for a person without the credentials to type: %v", rec)
	}
	if ev == "webhook" && rec["verified"] == true && rec["webhook_code"] == "SESSION_FINISHED" && rec["link_token"] == nil {
		t.Errorf("a SESSION_FINISHED record without its link_token: %v", rec)
	}
	if ev == "webhook" && rec["verified"] == false && rec["reason"] == nil {
		t.Errorf("unverified webhook without a reason: %v", rec)
	}
}

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
	e := testkit.DemoEnv(t, env.Config{})
	rec := mustPass(t, e, env.RunOptions{Scenario: "session", Auto: true})
	recs := rec.All()
	testkit.AssertOrder(t, recs, "ready", "link_token_created", "webhook", "public_token_exchanged", "done")
	ready := testkit.Find(recs, "ready")[0]
	if ready["mode"] != "demo" || ready["plaid_url"] != e.PlaidURL || !strings.HasPrefix(ready["webhook_url"].(string), "http://127.0.0.1:") {
		t.Errorf("ready = %v", ready)
	}
	lt := testkit.Find(recs, "link_token_created")[0]
	if !strings.HasPrefix(lt["hosted_link_url"].(string), e.PlaidURL) || lt["link_token"] == "" || lt["half"] != 2 {
		t.Errorf("link_token_created = %v", lt)
	}
	var finished bool
	for _, w := range testkit.Find(recs, "webhook") {
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
	ex := testkit.Find(recs, "public_token_exchanged")[0]
	if ex["item_id"] == "" || ex["institution_id"] != emulator.DefaultInstitutionID || len(ex["accounts"].([]flows.Record)) == 0 {
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
	checkNoSecrets(t, rec.Text(), e.Emulator.Secret())
}

func TestHalf1AutoDemoThroughRecovery(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{})
	rec := mustPass(t, e, env.RunOptions{Scenario: "signup", Auto: true})
	recs := rec.All()
	testkit.AssertOrder(t, recs, "ready", "link_token_created", "progress", "recovery_email", "public_token_exchanged", "done")
	last := testkit.Find(recs, "progress")
	if p := last[len(last)-1]; p["institution_down"] != true || p["opted_in"] != true {
		t.Errorf("final progress = %v", p)
	}
	mail := testkit.Find(recs, "recovery_email")[0]
	if mail["to"] != emulator.RecoveryEmail || !strings.HasPrefix(mail["url"].(string), e.PlaidURL) {
		t.Errorf("recovery_email = %v", mail)
	}
	// The sign-up session itself ends EXITED with no Item; the Item comes from the recovery session.
	var exited, succeeded bool
	for _, w := range testkit.Find(recs, "webhook") {
		if w["webhook_code"] == "SESSION_FINISHED" {
			exited = exited || w["status"] == "EXITED"
			succeeded = succeeded || (w["status"] == "SUCCESS" && w["verified"] == true)
		}
	}
	if !succeeded {
		t.Errorf("no verified successful SESSION_FINISHED: %v", testkit.Names(recs))
	}
	_ = exited // delivery of the EXITED one may race with the end of the run
	if e.Emulator.OptIns() != 0 {
		t.Errorf("opt-in still waiting after the restore: %d", e.Emulator.OptIns())
	}
	checkNoSecrets(t, rec.Text(), e.Emulator.Secret())
}

func TestHalf2WebhooksDroppedFallsBackToPolling(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{WebhookTimeout: 300 * time.Millisecond})
	e.Emulator.SetWebhookFault(emulator.WebhookFault{Drop: 10})
	rec, ctx := newRecorder(t), testkit.Context(t)
	passed := env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session", Auto: true, PollInterval: 50 * time.Millisecond}, rec.Emit)
	recs := rec.All()
	if passed {
		t.Fatalf("a half with no webhook must not pass:\n%s", rec.Text())
	}
	testkit.AssertOrder(t, recs, "ready", "link_token_created", "error", "public_token_exchanged", "done")
	if n := len(testkit.Find(recs, "webhook")); n != 0 {
		t.Errorf("%d webhook records, but all webhooks were dropped", n)
	}
	er := testkit.Find(recs, "error")[0]
	if er["step"] != "webhook" || !strings.Contains(er["message"].(string), "falling back to polling /link/token/get") || er["hint"] == "" {
		t.Errorf("fallback not reported: %v", er)
	}
	if ex := testkit.Find(recs, "public_token_exchanged")[0]; ex["via"] != "polling" || ex["item_id"] == "" {
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
	e := testkit.DemoEnv(t, env.Config{})
	ctx, rec, result := startHalf2(t, e)

	lt := rec.WaitFor(testkit.IsEvent("link_token_created"))
	forged, _ := json.Marshal(map[string]any{"webhook_type": "LINK", "webhook_code": "SESSION_FINISHED", "status": "SUCCESS",
		"link_token": lt["link_token"], "public_tokens": []string{"public-sandbox-forged"}})
	resp, err := http.Post(e.WebhookURL(), "application/json", bytes.NewReader(forged))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	bad := rec.WaitFor(func(r flows.Record) bool { return r["event"] == "webhook" && r["verified"] == false })
	if bad["reason"] == "" || bad["webhook_code"] != "SESSION_FINISHED" {
		t.Errorf("unverified webhook record = %v", bad)
	}
	if len(testkit.Find(rec.All(), "public_token_exchanged")) != 0 {
		t.Fatal("exchanged on an unverified webhook")
	}
	if err := e.Emulator.CompleteSession(ctx, lt["hosted_link_url"].(string), sessionCreds); err != nil {
		t.Fatal(err)
	}
	if !<-result {
		t.Fatalf("did not pass on the verified webhook:\n%s", rec.Text())
	}
	if ex := testkit.Find(rec.All(), "public_token_exchanged"); len(ex) != 1 || ex[0]["via"] != "webhook" {
		t.Errorf("exchanges = %v", ex)
	}
}

// Sandbox mode against an emulator standing in for Plaid at a configurable base URL: the same
// flow, with a person (here the test) finishing the Hosted Link session.
func TestSandboxModeAgainstEmulator(t *testing.T) {
	emu, srv := emulatorServer(t)
	cfg := env.Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: srv.URL, WebhookTimeout: testkit.Wait}
	e := testkit.DemoEnv(t, cfg)
	if e.Mode != flows.ModeSandbox || e.Emulator != nil || e.TunnelProvider() != tunnel.ProviderLocal {
		t.Fatalf("mode %s emulator %v provider %s", e.Mode, e.Emulator != nil, e.TunnelProvider())
	}
	rec, ctx := newRecorder(t), testkit.Context(t)

	if env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session", Auto: true}, rec.Emit) {
		t.Fatal("--auto must be refused outside demo mode")
	}
	if er := testkit.Find(rec.All(), "error"); len(er) != 1 || er[0]["step"] != "start" {
		t.Fatalf("want a start error, got %v", rec.Text())
	}

	rec = newRecorder(t)
	result := make(chan bool, 1)
	go func() { result <- env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session"}, rec.Emit) }()
	lt := rec.WaitFor(testkit.IsEvent("link_token_created"))
	if err := emu.CompleteSession(ctx, lt["hosted_link_url"].(string), sessionCreds); err != nil {
		t.Fatal(err)
	}
	if !<-result {
		t.Fatalf("sandbox half 2 did not pass:\n%s", rec.Text())
	}
	recs := rec.All()
	testkit.AssertOrder(t, recs, "ready", "link_token_created", "waiting", "webhook", "public_token_exchanged", "done")
	if r := testkit.Find(recs, "ready")[0]; r["mode"] != "sandbox" || r["plaid_url"] != srv.URL {
		t.Errorf("ready = %v", r)
	}
	checkNoSecrets(t, rec.Text(), emu.Secret())
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		if out := fmt.Sprintf(verb, e); strings.Contains(out, emu.Secret()) || !strings.Contains(out, srv.URL) {
			t.Errorf("%s of the Env = %s", verb, out)
		}
	}
}

func TestSandboxWrongKeys(t *testing.T) {
	_, srv := emulatorServer(t)
	wrong := "wrong-secret-0123456789abcdef"
	e := testkit.DemoEnv(t, env.Config{ClientID: "not-a-client", Secret: wrong, PlaidURL: srv.URL})
	rec, ctx := newRecorder(t), testkit.Context(t)
	if env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session"}, rec.Emit) {
		t.Fatal("wrong keys passed")
	}
	recs := rec.All()
	testkit.AssertOrder(t, recs, "ready", "error", "done")
	er := testkit.Find(recs, "error")[0]
	if er["code"] != "INVALID_API_KEYS" || er["step"] != "link_token_create" || er["request_id"] == nil ||
		!strings.Contains(fmt.Sprint(er["hint"]), "PLAID_CLIENT_ID") {
		t.Errorf("error record = %v", er)
	}
	checkNoSecrets(t, rec.Text(), wrong)
}

func TestPlaidErrorsFromEmulatorFaults(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{})
	ctx := context.Background()
	if _, err := e.CreateHostedLinkToken(ctx); !errors.Is(err, env.ErrNoWebhook) {
		t.Fatalf("token before the tunnel: %v", err)
	}
	if _, err := e.OpenTunnel(ctx); err != nil {
		t.Fatal(err)
	}

	e.Emulator.InjectFault(emulator.Fault{Path: "/link/token/create", ErrorType: "RATE_LIMIT_EXCEEDED",
		ErrorCode: "RATE_LIMIT_EXCEEDED", ErrorMessage: "too many requests", HTTPStatus: 429})
	_, err := e.CreateHostedLinkToken(ctx)
	var pe *flows.PlaidError
	if !errors.As(err, &pe) || pe.Code != "RATE_LIMIT_EXCEEDED" || pe.HTTPStatus != 429 || pe.Endpoint != "/link/token/create" ||
		pe.RequestID == "" || !strings.Contains(pe.Hint(), "wait") {
		t.Fatalf("rate limit: %T %+v", err, pe)
	}

	e.Emulator.InjectFault(emulator.Fault{Path: "/link/token/create", HTTPStatus: 500})
	_, err = e.CreateHostedLinkToken(ctx)
	if !errors.As(err, &pe) || pe.HTTPStatus != 500 || pe.Type != "API_ERROR" || pe.Hint() == "" {
		t.Fatalf("bare 500: %T %+v", err, pe)
	}

	// The fault is used up: the next call works.
	lt, err := e.CreateHostedLinkToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if lt.Webhook != e.WebhookURL() || lt.RedirectURI != e.CurrentReceiver().CompleteURL(e.CurrentTunnel().CompleteURL()) {
		t.Errorf("token = %+v", lt)
	}
	st, err := e.GetLinkToken(ctx, lt.Token)
	if err != nil {
		t.Fatal(err)
	}
	if st.FirstPublicToken() != "" {
		t.Errorf("fresh token has a result: %+v", st)
	}

	_, err = e.Exchange(ctx, "public-sandbox-00000000-0000-0000-0000-000000000000")
	if !errors.As(err, &pe) || pe.Code != "INVALID_PUBLIC_TOKEN" || !strings.Contains(pe.Hint(), "30 minutes") {
		t.Fatalf("bad public token: %T %v", err, err)
	}
	_, err = e.GetLinkToken(ctx, "link-sandbox-00000000-0000-0000-0000-000000000000")
	if !errors.As(err, &pe) || pe.Code == "" || pe.Hint() == "" {
		t.Fatalf("bad link token: %T %v", err, err)
	}

	// A slow Plaid and a cancelled ctx: the call returns promptly with a context error.
	e.Emulator.InjectFault(emulator.Fault{Path: "/link/token/get", Delay: 5 * time.Second})
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = e.GetLinkToken(cctx, lt.Token)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow call: err %v, want the context's deadline", err)
	}
}

func TestHalf2WaitsOnlyAsLongAsCtx(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{})
	rec := newRecorder(t)
	// The deadline passes once the run is waiting, not after a fixed time that a loaded machine
	// might spend creating the token.
	ctx, expire := deadlineWhenTold()
	defer expire()
	go func() {
		defer expire()
		rec.Await(testkit.IsEvent("waiting"))
	}()
	if env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session"}, rec.Emit) {
		t.Fatal("passed with nobody finishing the session")
	}
	recs := rec.All()
	testkit.AssertOrder(t, recs, "ready", "link_token_created", "waiting", "error", "done")
	if er := testkit.Find(recs, "error")[0]; er["step"] != "wait" || !strings.Contains(fmt.Sprint(er["message"]), "timed out") {
		t.Errorf("error = %v", er)
	}
}

// In sandbox mode without --webhook-url and with a real (non-loopback) Plaid URL, the tunnel is
// ngrok; with no NGROK_AUTHTOKEN it fails at once, clearly, and the Env stays usable.
func TestTunnelErrorIsReported(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{ClientID: "id", Secret: "secret-0123456789abcdef", PlaidURL: "https://sandbox.plaid.com"})
	if e.TunnelProvider() != tunnel.ProviderNgrok {
		t.Fatalf("provider = %s", e.TunnelProvider())
	}
	_, err := e.OpenTunnel(context.Background())
	var te *tunnel.Error
	if !errors.As(err, &te) || !strings.Contains(te.Error(), "NGROK_AUTHTOKEN") {
		t.Fatalf("want a *tunnel.Error naming NGROK_AUTHTOKEN, got %T %v", err, err)
	}
	if e.CurrentTunnel() != nil || e.CurrentReceiver() != nil {
		t.Error("a failed tunnel left state behind")
	}
	rec := newRecorder(t)
	if env.RunHeadless(context.Background(), e, env.RunOptions{Scenario: "session"}, rec.Emit) {
		t.Fatal("passed without a tunnel")
	}
	er := testkit.Find(rec.All(), "error")
	if len(er) != 1 || er[0]["step"] != "tunnel" || er[0]["hint"] != te.Next {
		t.Errorf("errors = %v", er)
	}
	if _, err := e.CreateHostedLinkToken(context.Background()); !errors.Is(err, env.ErrNoWebhook) {
		t.Errorf("token without tunnel: %v", err)
	}
}

func TestCloseTwiceAndOpenAfterClose(t *testing.T) {
	e, err := env.New(context.Background(), env.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.OpenTunnel(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-e.CurrentReceiver().Events(); ok {
		t.Error("receiver events still open after Close")
	}
	env2, err := env.New(context.Background(), env.Config{})
	if err != nil {
		t.Fatal(err)
	}
	env2.Close()
	if _, err := env2.OpenTunnel(context.Background()); err == nil {
		t.Error("OpenTunnel after Close must fail")
	}
}

func BenchmarkHalf2Auto(b *testing.B) { benchHalfAuto(b, "session") }

// benchHalfAuto runs a whole demo half with --auto per iteration, from New to done.
func benchHalfAuto(b *testing.B, scenario string) {
	for b.Loop() {
		e, err := env.New(context.Background(), env.Config{})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
		var last flows.Record
		if !env.RunHeadless(ctx, e, env.RunOptions{Scenario: scenario, Auto: true}, func(r flows.Record) { last = r }) {
			b.Fatalf("%s failed: %v", scenario, last)
		}
		cancel()
		e.Close()
	}
}

func BenchmarkNewEnv(b *testing.B) {
	for b.Loop() {
		e, err := env.New(context.Background(), env.Config{})
		if err != nil {
			b.Fatal(err)
		}
		e.Close()
	}
}

// A person slower in Link than WebhookTimeout is not mistaken for a broken webhook path: the clock
// starts when /link/token/get shows the session finished.
func TestHalf2SlowPersonIsNotAWebhookFailure(t *testing.T) {
	// The person takes longer than the timeout before finishing: on the run's clock, which the
	// test moves while the polls go on (no real time passes).
	const timeout = 5 * time.Second
	clk := testkit.NewClock(time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC))
	e := testkit.DemoEnv(t, env.Config{WebhookTimeout: timeout, Clock: clk})
	rec, ctx := newRecorder(t), testkit.Context(t)
	result := make(chan bool, 1)
	go func() {
		result <- env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session", PollInterval: 20 * time.Millisecond}, rec.Emit)
	}()
	lt := rec.WaitFor(testkit.IsEvent("link_token_created"))
	for range 10 { // "reading the bank's page" for longer than the timeout, polled all along
		testkit.Eventually(t, "the next poll is scheduled", func() bool { return clk.Pending() > 0 })
		clk.Advance((timeout + 300*time.Millisecond) / 10)
	}
	if err := e.Emulator.CompleteSession(ctx, lt["hosted_link_url"].(string), sessionCreds); err != nil {
		t.Fatal(err)
	}
	if !<-result {
		t.Fatalf("did not pass:\n%s", rec.Text())
	}
	if er := testkit.Find(rec.All(), "error"); len(er) != 0 {
		t.Errorf("spurious errors: %v", er)
	}
}

// A passing /link/token/get failure while following the session is reported, not fatal.
func TestHalf2TransientPollErrorIsNotFatal(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{WebhookTimeout: 200 * time.Millisecond})
	e.Emulator.SetWebhookFault(emulator.WebhookFault{Drop: 10})
	e.Emulator.InjectFault(emulator.Fault{Path: "/link/token/get", Count: 2, ErrorType: "API_ERROR",
		ErrorCode: "INTERNAL_SERVER_ERROR", ErrorMessage: "an unexpected error occurred", HTTPStatus: 500})
	rec, ctx := newRecorder(t), testkit.Context(t)
	env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session", Auto: true, PollInterval: 20 * time.Millisecond}, rec.Emit)
	recs := rec.All()
	errs := testkit.Find(recs, "error")
	if len(errs) != 2 || errs[0]["step"] != "link_token_get" || errs[0]["code"] != "INTERNAL_SERVER_ERROR" ||
		errs[0]["request_id"] == nil || errs[1]["step"] != "webhook" {
		t.Fatalf("errors = %v", errs)
	}
	if len(testkit.Find(recs, "public_token_exchanged")) != 1 {
		t.Errorf("no exchange after the blip:\n%s", rec.Text())
	}
}

// --public-host builds every URL a phone sees (Hosted Link, e-mail link, webhook, /complete) with
// that host. The test keeps to loopback by resolving "localhost" and listening on 127.0.0.1 only.
func TestPublicHostBuildsURLs(t *testing.T) {
	t.Cleanup(env.ListenAllOn("127.0.0.1:0"))

	e := testkit.DemoEnv(t, env.Config{PublicHost: "localhost"})
	if !strings.HasPrefix(e.PlaidURL, "http://localhost:") {
		t.Fatalf("PlaidURL = %s", e.PlaidURL)
	}
	rec := mustPass(t, e, env.RunOptions{Scenario: "signup", Auto: true})
	recs := rec.All()
	ready := testkit.Find(recs, "ready")[0]
	lt := testkit.Find(recs, "link_token_created")[0]
	mail := testkit.Find(recs, "recovery_email")[0]
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
	e := testkit.DemoEnv(t, env.Config{ClientID: "id", Secret: "secret-0123456789abcdef", PlaidURL: srv.URL,
		WebhookURL: "https://hooks.example.com/", Listen: "127.0.0.1:0"})
	if e.TunnelProvider() != tunnel.ProviderURL {
		t.Fatalf("provider = %s", e.TunnelProvider())
	}
	tn, err := e.OpenTunnel(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if e.WebhookURL() != "https://hooks.example.com/webhook" || tn.CompleteURL() != "https://hooks.example.com/complete" {
		t.Errorf("urls = %s %s", e.WebhookURL(), tn.CompleteURL())
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
	if again, err := e.OpenTunnel(context.Background()); err != nil || again != tn {
		t.Errorf("second OpenTunnel: %v %v", again, err)
	}
}

// A half whose session ends the wrong way fails at once, saying why, instead of waiting for ctx:
// half 1 finished with an Item (no outage, no opt-in), half 2 exited into the opt-in (no Item).
func TestHalfEndsTheWrongWay(t *testing.T) {
	cases := []struct {
		scenario string
		creds    emulator.Credentials
		want     []string
	}{
		{"signup", sessionCreds, []string{"the institution-down error and the recovery opt-in", emulator.PassInstitutionDown}},
		{"session", signupCreds, []string{"without an Item", "EXITED"}},
	}
	for _, c := range cases {
		t.Run(c.scenario, func(t *testing.T) {
			e := testkit.DemoEnv(t, env.Config{})
			rec, passed := runAsPerson(t, e, env.RunOptions{Scenario: c.scenario, PollInterval: 20 * time.Millisecond}, e.Emulator, c.creds)
			if passed {
				t.Fatalf("passed:\n%s", rec.Text())
			}
			if all := rec.All(); strings.Contains(fmt.Sprint(all[len(all)-1]["reason"]), "timed out") {
				t.Fatal("waited for the deadline instead of failing at once")
			}
			errs := testkit.Find(rec.All(), "error")
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
func BenchmarkHalf1Auto(b *testing.B) { benchHalfAuto(b, "signup") }

// Sandbox half 1: a person logs in to the down bank and opts in; the half passes there (nothing
// can bring a real Sandbox bank back on demand), with no restore and no exchange.
func TestSandboxHalf1(t *testing.T) {
	emu, srv := emulatorServer(t)
	e := testkit.DemoEnv(t, env.Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: srv.URL})
	rec, passed := runAsPerson(t, e, env.RunOptions{Scenario: "signup", PollInterval: 20 * time.Millisecond}, emu, signupCreds)
	if !passed {
		t.Fatalf("did not pass:\n%s", rec.Text())
	}
	recs := rec.All()
	testkit.AssertOrder(t, recs, "ready", "link_token_created", "waiting", "progress", "done")
	if n := len(testkit.Find(recs, "recovery_email")) + len(testkit.Find(recs, "public_token_exchanged")); n != 0 {
		t.Errorf("sandbox half 1 went past the opt-in: %v", testkit.Names(recs))
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
	e := testkit.DemoEnv(t, env.Config{ForwardTo: app.URL + "/plaid/webhook"})
	rec := mustPass(t, e, env.RunOptions{Scenario: "session", Auto: true})
	// Every relay that reached the app during the run is reported before "done": the run lets the
	// relays in flight finish first.
	mu.Lock()
	atEnd := len(got)
	mu.Unlock()
	all := rec.All()
	if fw := testkit.Find(all, "forwarded"); len(fw) < atEnd || atEnd == 0 || all[len(all)-1]["event"] != "done" {
		t.Errorf("%d relays reached the app during the run, %d reported before done:\n%s", atEnd, len(fw), rec.Text())
	}
	// Forwarding is asynchronous: wait for the relay of SESSION_FINISHED to be reported by the
	// receiver (the run itself may have ended first).
	testkit.Eventually(t, "three relays reach the app", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 3
	})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(got, "SESSION_FINISHED") {
		t.Errorf("the app got %v, want SESSION_FINISHED among them", got)
	}
	// Relays that finished during the run are reported (later ones may come after done).
	for _, f := range testkit.Find(rec.All(), "forwarded") {
		if f["status_code"] != http.StatusAccepted || f["url"] != app.URL+"/plaid/webhook" {
			t.Errorf("forwarded = %v", f)
		}
	}
}

// A request the receiver refuses (not JSON) is reported as a receiver error; the run goes on.
func TestRejectedRequestIsReported(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{})
	ctx, rec, result := startHalf2(t, e)
	lt := rec.WaitFor(testkit.IsEvent("link_token_created"))
	resp, err := http.Post(e.WebhookURL(), "text/plain", strings.NewReader("not json"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	er := rec.WaitFor(testkit.IsEvent("error"))
	if er["step"] != "receiver" || !strings.Contains(fmt.Sprint(er["message"]), "refused") {
		t.Errorf("error = %v", er)
	}
	if err := e.Emulator.CompleteSession(ctx, lt["hosted_link_url"].(string), sessionCreds); err != nil {
		t.Fatal(err)
	}
	if !<-result {
		t.Fatalf("a refused stray request failed the half:\n%s", rec.Text())
	}
}

// If the receiver stops mid-run no webhook can come: the run says so at once and follows the
// session by /link/token/get instead of waiting out the webhook timeout.
func TestReceiverStopsMidRun(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{}) // default 3 min timeout: the fallback must not wait for it
	rec, ctx := newRecorder(t), testkit.Context(t)
	result := make(chan bool, 1)
	go func() {
		result <- env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session", PollInterval: 20 * time.Millisecond}, rec.Emit)
	}()
	lt := rec.WaitFor(testkit.IsEvent("link_token_created"))
	e.CurrentReceiver().Close()
	rec.WaitFor(func(r flows.Record) bool { return r["event"] == "error" && r["step"] == "webhook" })
	if err := e.Emulator.CompleteSession(ctx, lt["hosted_link_url"].(string), sessionCreds); err != nil {
		t.Fatal(err)
	}
	if <-result {
		t.Fatal("passed without a webhook")
	}
	if ctx.Err() != nil {
		t.Fatal("waited for the deadline")
	}
	recs := rec.All()
	testkit.AssertOrder(t, recs, "ready", "link_token_created", "error", "error", "public_token_exchanged", "done")
	if ex := testkit.Find(recs, "public_token_exchanged")[0]; ex["via"] != "polling" {
		t.Errorf("exchange = %v", ex)
	}
}

// --transcript records a run: the same records as the output, one JSON line each, in a 0600 file.
func TestTranscriptOfARun(t *testing.T) {
	path := t.TempDir() + "/run.jsonl"
	tr, err := flows.OpenTranscript(path)
	if err != nil {
		t.Fatal(err)
	}
	e := testkit.DemoEnv(t, env.Config{})
	rec, ctx := newRecorder(t), testkit.Context(t)
	if !env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session", Auto: true}, flows.Tee(rec.Emit, tr.Emit)) {
		t.Fatalf("did not pass:\n%s", rec.Text())
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	data := testkit.ReadPrivate(t, path)
	if string(data) != rec.Text() {
		t.Errorf("transcript differs from the output:\n%s\nvs\n%s", data, rec.Text())
	}
	if n := strings.Count(string(data), "\n"); n != len(rec.All()) {
		t.Errorf("%d lines for %d records", n, len(rec.All()))
	}
	checkNoSecrets(t, string(data), e.Emulator.Secret())
}

// Plaid may deliver a webhook twice: duplicates are reported as such and exchange nothing twice.
func TestDuplicateWebhooks(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{})
	e.Emulator.SetWebhookFault(emulator.WebhookFault{Duplicate: 10})
	rec, passed := runAsPerson(t, e, env.RunOptions{Scenario: "session"}, e.Emulator, sessionCreds)
	if !passed {
		t.Fatalf("did not pass:\n%s", rec.Text())
	}
	// The duplicate of SESSION_FINISHED may land after the run ended; earlier ones are in the run.
	var dups int
	for _, w := range testkit.Find(rec.All(), "webhook") {
		if w["duplicate"] == true {
			dups++
		}
	}
	if dups == 0 {
		t.Errorf("no duplicate reported: %v", testkit.Names(rec.All()))
	}
	if n := len(testkit.Find(rec.All(), "public_token_exchanged")); n != 1 {
		t.Errorf("%d exchanges", n)
	}
}

// When the tunnel cannot open, a token without a webhook still lets /link/token/get follow the
// session to its public token: the fallback the TUI offers while the tunnel is fixed.
func TestPollingLinkTokenWithoutTunnel(t *testing.T) {
	emu, srv := emulatorServer(t)
	e, err := env.New(context.Background(), env.Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	ctx := testkit.Context(t)

	lt, err := e.CreatePollingLinkToken(ctx)
	if err != nil {
		t.Fatalf("CreatePollingLinkToken: %v", err)
	}
	if lt.Webhook != "" || lt.RedirectURI != "" || lt.HostedLinkURL == "" {
		t.Fatalf("token %+v: want a hosted_link_url and neither webhook nor redirect", lt)
	}
	if err := emu.CompleteSession(ctx, lt.HostedLinkURL, sessionCreds); err != nil {
		t.Fatal(err)
	}
	st, err := e.GetLinkToken(ctx, lt.Token)
	if err != nil {
		t.Fatal(err)
	}
	pt := st.FirstPublicToken()
	if pt == "" {
		t.Fatalf("/link/token/get shows no public token: %+v", st)
	}
	if item, err := e.Exchange(ctx, pt); err != nil || item.ItemID == "" {
		t.Fatalf("exchange: %+v, %v", item, err)
	}
	if ds := emu.Deliveries(); len(ds) != 0 {
		t.Errorf("a token without a webhook made the emulator send %d webhooks", len(ds))
	}
}

// mustPass runs o headless in e and fails t unless it passes.
func mustPass(t *testing.T, e *env.Env, o env.RunOptions) *testkit.Recorder {
	t.Helper()
	rec := newRecorder(t)
	o.OnEvent = rec.Event
	if !env.RunHeadless(testkit.Context(t), e, o, rec.Emit) {
		t.Fatalf("%s did not pass:\n%s", o.Scenario, rec.Text())
	}
	return rec
}

// runAsPerson runs o headless in e while the test plays the person: once the token exists, walker
// walks its Hosted Link session with creds. It returns the records and whether the run passed.
func runAsPerson(t *testing.T, e *env.Env, o env.RunOptions, walker *emulator.Emulator, creds emulator.Credentials) (*testkit.Recorder, bool) {
	t.Helper()
	ctx, rec, result := startHalf(t, e, o)
	lt := rec.WaitFor(testkit.IsEvent("link_token_created"))
	if err := walker.CompleteSession(ctx, lt["hosted_link_url"].(string), creds); err != nil {
		t.Fatal(err)
	}
	return rec, <-result
}

// startHalf2 runs half 2 headless in the background for at most 30 s (the returned ctx); the test
// plays Plaid or the person, reads the records, and receives the result.
func startHalf2(t *testing.T, e *env.Env) (context.Context, *testkit.Recorder, <-chan bool) {
	return startHalf(t, e, env.RunOptions{Scenario: "session"})
}

// startHalf runs a half headless with o in the background for at most 30 s (the returned ctx).
func startHalf(t *testing.T, e *env.Env, o env.RunOptions) (context.Context, *testkit.Recorder, <-chan bool) {
	t.Helper()
	rec := newRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
	t.Cleanup(cancel)
	result := make(chan bool, 1)
	go func() { result <- env.RunHeadless(ctx, e, o, rec.Emit) }()
	return ctx, rec, result
}

// TestCompletionRedirectCarriesNonce: the completion_redirect_uri the app builds carries the
// receiver's nonce, so following it ticks "completion page reached" while the bare /complete URL
// (all a LAN neighbour knows) shows a page and ticks nothing.
func TestCompletionRedirectCarriesNonce(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{})
	ctx := context.Background()
	tn, err := e.OpenTunnel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lt, err := e.CreateHostedLinkToken(ctx)
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
		case ev := <-e.CurrentReceiver().Events():
			if ev.Kind != webhook.EventComplete {
				continue
			}
			var completes int
			for _, er := range e.CurrentReceiver().Recent() {
				if er.Kind == webhook.EventComplete {
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
	e := testkit.DemoEnv(t, env.Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: srv.URL})
	ctx, rec, result := startHalf(t, e, env.RunOptions{Scenario: "session", PollInterval: 20 * time.Millisecond,
		TransportGrace: 300 * time.Millisecond})
	rec.WaitFor(testkit.IsEvent("link_token_created"))
	srv.HTTPServer.CloseClientConnections()
	srv.HTTPServer.Close()
	if <-result {
		t.Fatal("passed with Plaid gone")
	}
	if ctx.Err() != nil {
		t.Fatal("the run waited for its deadline instead of ending by itself")
	}
	recs := rec.All()
	done := recs[len(recs)-1]
	if done["event"] != "done" || done["passed"] != false || !strings.Contains(fmt.Sprint(done["reason"]), "not answered") {
		t.Errorf("done = %v", done)
	}
	var gaveUp flows.Record
	for _, er := range testkit.Find(recs, "error") {
		if er["step"] == "transport" {
			gaveUp = er
		}
	}
	if gaveUp == nil || !strings.Contains(fmt.Sprint(gaveUp["hint"]), srv.URL) || !strings.Contains(fmt.Sprint(gaveUp["hint"]), "then run again") {
		t.Errorf("no transport error with the next step: %v", testkit.Find(recs, "error"))
	}
}

// Tokens ask for auth unless --products says otherwise, so the Item's TRANSACTIONS webhooks do
// not keep arriving at this run's webhook URL long after it.
func TestTokenProducts(t *testing.T) {
	for _, c := range []struct {
		products []string
		want     string
	}{{nil, "auth"}, {[]string{"auth", "transactions"}, "auth,transactions"}} {
		e := testkit.DemoEnv(t, env.Config{Products: c.products})
		ctx := context.Background()
		if _, err := e.OpenTunnel(ctx); err != nil {
			t.Fatal(err)
		}
		lt, err := e.CreateHostedLinkToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		resp, _, err := e.Plaid.PlaidApi.LinkTokenGet(ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt.Token)).Execute()
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
	if _, err := env.ParseProducts("auth, transactions"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "auth,nonsense", " , "} {
		if _, err := env.ParseProducts(bad); err == nil || !strings.Contains(err.Error(), "--products") {
			t.Errorf("env.ParseProducts(%q) = %v, want an error naming --products", bad, err)
		}
	}
}

// Headless, the skew becomes a warning record right after Plaid's first answer. Plaid is played by
// the emulator behind a handler that sends a Date ten minutes slow.
func TestHeadlessWarnsOfClockSkew(t *testing.T) {
	emu, _ := emulatorServer(t)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().Add(-10*time.Minute).UTC().Format(http.TimeFormat))
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)
	emu.SetBaseURL(slow.URL)
	e := testkit.DemoEnv(t, env.Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: slow.URL, WebhookTimeout: 20 * time.Second})
	rec := newRecorder(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session"}, rec.Emit) }()
	w := rec.WaitFor(testkit.IsEvent("warning"))
	cancel()
	<-done
	if w["step"] != "clock" || !strings.Contains(w["message"].(string), "ahead of Plaid's") {
		t.Fatalf("warning %v", w)
	}
	testkit.AssertOrder(t, rec.All(), "ready", "link_token_created", "warning")
}

// Every Plaid call an effect makes is an event, with its bodies masked: the presenter view and the
// report show what was sent and answered, never a secret or a public or access token.
func TestPlaidCallEvents(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{})
	rec := mustPass(t, e, env.RunOptions{Scenario: "session", Auto: true})
	calls := map[string]flows.PlaidCall{}
	var all strings.Builder
	for _, ev := range rec.Events() {
		if c, ok := ev.Fact.(flows.PlaidCall); ok {
			calls[c.Endpoint] = c
			all.WriteString(c.Request.Text + c.Response.Text)
		}
		if w, ok := ev.Fact.(flows.WebhookSeen); ok {
			all.WriteString(w.Body.Text)
		}
	}
	create := calls["/link/token/create"]
	if create.Method != "POST" || create.Status != 200 || create.RequestID == "" || create.Took <= 0 ||
		!strings.Contains(create.Request.Text, `"webhook": "`+e.WebhookURL()) || !strings.Contains(create.Request.Text, `"hosted_link"`) ||
		!strings.Contains(create.Response.Text, `"hosted_link_url"`) {
		t.Errorf("/link/token/create = %+v", create)
	}
	for _, p := range []string{"/item/public_token/exchange", "/item/get", "/accounts/get"} {
		if calls[p].Status != 200 {
			t.Errorf("no answered %s call event: %+v", p, calls[p])
		}
	}
	if strings.Contains(all.String(), e.Emulator.Secret()) {
		t.Error("the secret is in an event body")
	}
	if whole := regexp.MustCompile(`(access|public)-sandbox-[0-9a-f]{8}-[0-9a-f-]{27}`).FindString(all.String()); whole != "" {
		t.Errorf("a whole token is in an event body: %s…", whole[:20])
	}
	if !strings.Contains(all.String(), `"access_token": "access-sandbox-`) {
		t.Error("the exchange's answer is not in the events, masked")
	}
}

// Issue 15 item 5: with /link/token/get answering 500 (or 429) forever and every webhook dropped, a
// headless run used to go on for ever (each answered error reset the no-answer grace). Now server
// errors for ServerErrorGrace end it, with done passed false, the last error and the next step.
func TestHeadlessEndsOnServerErrorsForever(t *testing.T) {
	for _, f := range []emulator.Fault{
		{Path: "/link/token/get", Count: 1 << 30, HTTPStatus: 500},
		{Path: "/link/token/get", Count: 1 << 30, ErrorType: "RATE_LIMIT_EXCEEDED", ErrorCode: "RATE_LIMIT_EXCEEDED", HTTPStatus: 429},
	} {
		t.Run(fmt.Sprint(f.HTTPStatus), func(t *testing.T) {
			e := testkit.DemoEnv(t, env.Config{})
			e.Emulator.SetWebhookFault(emulator.WebhookFault{Drop: 1 << 30})
			e.Emulator.InjectFault(f)
			ctx := testkit.Context(t)
			rec := newRecorder(t)
			if env.RunHeadless(ctx, e, env.RunOptions{Scenario: "session", Auto: true, PollInterval: 10 * time.Millisecond,
				ServerErrorGrace: 300 * time.Millisecond}, rec.Emit) {
				t.Fatalf("passed on server errors:\n%s", rec.Text())
			}
			if ctx.Err() != nil {
				t.Fatal("the run waited for its deadline instead of ending by itself")
			}
			recs := rec.All()
			done := recs[len(recs)-1]
			if done["event"] != "done" || done["passed"] != false || !strings.Contains(fmt.Sprint(done["reason"]), "only with server errors") ||
				!strings.Contains(fmt.Sprint(done["reason"]), "link_token_get") && !strings.Contains(fmt.Sprint(done["reason"]), "/link/token/get") ||
				done["hint"] == nil {
				t.Errorf("done = %v, want the last error and the next step", done)
			}
		})
	}
}

// TestHalf1PageByPage: headless with PageByPage walks every Hosted Link page of the sign-up and of
// the recovery session one at a time through the real emulator, says so in a PageSubmitted event
// per page, pauses before the bank comes back, and still passes.
func TestHalf1PageByPage(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{})
	rec := mustPass(t, e, env.RunOptions{Scenario: "signup", Auto: true, PageByPage: true})
	var got []string
	for _, ev := range rec.Events() {
		switch f := ev.Fact.(type) {
		case flows.PageSubmitted:
			got = append(got, fmt.Sprintf("%s>%s recovery=%v", f.Step.From, f.Step.To, f.Recovery))
		case flows.Paused:
			if f.Restore {
				got = append(got, "paused before the restore")
			}
		}
	}
	want := []string{"select>login recovery=false", "login>down recovery=false", "down>code recovery=false",
		"code>followed recovery=false", "paused before the restore", "login>accounts recovery=true", "accounts>success recovery=true"}
	if !slices.Equal(got, want) {
		t.Errorf("pages %q, want %q", got, want)
	}
	checkNoSecrets(t, rec.Text(), e.Emulator.Secret())
}
