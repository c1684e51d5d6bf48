package emulatortest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
)

// receiver is the webhook handler of the code under test, reduced to keeping what arrives. status,
// when set, picks the answer to the n-th request (1-based); 0 means 200.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	n      int
	got    []map[string]any
	status func(n int) int
}

func newReceiver() *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.n++
		if rc.status != nil {
			if st := rc.status(rc.n); st != 0 {
				w.WriteHeader(st)
				return
			}
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		rc.got = append(rc.got, m)
	}))
	return rc
}

// finished returns the SESSION_FINISHED webhooks received, in order.
func (rc *receiver) finished() []map[string]any {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []map[string]any
	for _, m := range rc.got {
		if m["webhook_code"] == "SESSION_FINISHED" {
			out = append(out, m)
		}
	}
	return out
}

// must keeps the examples to the calls they show: a failure there is a bug in the example.
func must(err error) {
	if err != nil {
		panic(err)
	}
}

// start runs an emulator and a receiver for its webhooks; stop closes both.
func start(opts ...emulatortest.Option) (s *emulatortest.Server, rc *receiver, stop func()) {
	s, err := emulatortest.Start(opts...)
	must(err)
	rc = newReceiver()
	return s, rc, func() { rc.Close(); s.Close() }
}

// hostedSession is start plus a Hosted Link token whose webhook is the receiver; url is its
// hosted_link_url.
func hostedSession(ctx context.Context) (s *emulatortest.Server, rc *receiver, url string, stop func()) {
	s, rc, stop = start()
	lt, err := hostedLinkToken(ctx, s, rc.URL+"/plaid/webhook")
	must(err)
	return s, rc, lt.GetHostedLinkUrl(), stop
}

// The logins of the examples: Plaid's Sandbox user, with a bank that works and one that is down.
var (
	goodLogin = emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}
	bankDown  = emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassInstitutionDown}
)

func hostedLinkToken(ctx context.Context, s *emulatortest.Server, webhook string) (plaid.LinkTokenCreateResponse, error) {
	req := plaid.NewLinkTokenCreateRequest("Example App", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("user-1"))
	req.SetProducts([]plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	req.SetWebhook(webhook)
	req.SetHostedLink(*plaid.NewLinkTokenCreateHostedLink())
	resp, _, err := s.Client.PlaidApi.LinkTokenCreate(ctx).LinkTokenCreateRequest(*req).Execute()
	return resp, err
}

// A whole Hosted Link flow: create a token with a webhook, let the user finish Link, receive
// SESSION_FINISHED and exchange its public token.
func Example_hostedLink() {
	ctx := context.Background()
	s, rc, url, stop := hostedSession(ctx)
	defer stop()
	// The user, in the browser at url: First Platypus Bank, user_good / pass_good.
	must(s.Emulator.CompleteSession(ctx, url, goodLogin))
	s.Emulator.Advance(0) // wait for the webhooks in flight
	fin := rc.finished()[0]
	fmt.Println("SESSION_FINISHED", fin["status"])
	token := fin["public_tokens"].([]any)[0].(string)
	ex, _, err := s.Client.PlaidApi.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(token)).Execute()
	fmt.Println("exchanged:", err == nil && ex.AccessToken != "")
	fmt.Println("attempts seen by the emulator:", len(s.Emulator.ExchangeAttempts(token)))
	// Output:
	// SESSION_FINISHED SUCCESS
	// exchanged: true
	// attempts seen by the emulator: 1
}

// Link Recovery: the bank is down, the user opts in; the bank comes back, the e-mail's link opens a
// new session under the same link token, and its SESSION_FINISHED carries the public token.
func Example_linkRecovery() {
	ctx := context.Background()
	s, rc, url, stop := hostedSession(ctx)
	defer stop()
	// user_good / error_INSTITUTION_DOWN shows the outage; the user opts in with example@plaid.com.
	must(s.Emulator.CompleteSession(ctx, url, bankDown))
	// Each session's webhooks go out on a queue of their own, so the outage session's EXITED and
	// the recovery's SUCCESS would race to the receiver. Wait for the first before the bank comes back,
	// as it would in life.
	s.Emulator.Advance(0)
	emails, err := s.Emulator.RestoreInstitution(emulator.DefaultInstitutionID)
	must(err)
	fmt.Println("e-mail to", emails[0].To, "about", emails[0].InstitutionName)
	must(s.Emulator.CompleteSession(ctx, emails[0].URL, goodLogin))
	s.Emulator.Advance(0)
	for _, fin := range rc.finished() {
		fmt.Println("SESSION_FINISHED", fin["status"], "with", len(fin["public_tokens"].([]any)), "public token(s)")
	}
	// Output:
	// e-mail to example@plaid.com about First Platypus Bank
	// SESSION_FINISHED EXITED with 0 public token(s)
	// SESSION_FINISHED SUCCESS with 1 public token(s)
}

// Expiry without waiting: move the clock past a Hosted Link URL's 30 minutes, and expire a public
// token now.
func Example_expiry() {
	ctx := context.Background()
	s, err := emulatortest.Start()
	must(err)
	defer s.Close()

	lt, err := hostedLinkToken(ctx, s, "")
	must(err)
	s.Emulator.Advance(31 * time.Minute)
	err = s.Emulator.CompleteSession(ctx, lt.GetHostedLinkUrl(), goodLogin)
	fmt.Println("link after 31 min expired:", err != nil)

	pt, _, err := s.Client.PlaidApi.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(
		*plaid.NewSandboxPublicTokenCreateRequest(emulator.DefaultInstitutionID, []plaid.Products{plaid.PRODUCTS_AUTH})).Execute()
	must(err)
	if _, err := s.Emulator.Expire(pt.PublicToken); err != nil {
		panic(err)
	}
	_, _, err = s.Client.PlaidApi.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(pt.PublicToken)).Execute()
	pe, _ := plaid.ToPlaidError(err)
	fmt.Println("exchange of an expired public token:", pe.ErrorCode)
	// Output:
	// link after 31 min expired: true
	// exchange of an expired public token: INVALID_PUBLIC_TOKEN
}

// Retries on Plaid's schedule: a handler that fails gets the webhook again 30 s later, then 2 min
// and 8 min after that, on the emulator's clock, which the test moves. A Config.Now clock keeps
// wall-clock timers out of the test: only Advance moves time.
func Example_retry() {
	ctx := context.Background()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	s, rc, stop := start(emulatortest.WithConfig(emulator.Config{Now: func() time.Time { return t0 }}))
	defer stop()
	rc.status = func(n int) int {
		if n <= 3 {
			return http.StatusServiceUnavailable
		}
		return 0
	}

	opts := plaid.NewSandboxPublicTokenCreateRequestOptions()
	opts.SetWebhook(rc.URL + "/plaid/webhook")
	req := plaid.NewSandboxPublicTokenCreateRequest(emulator.DefaultInstitutionID, []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	req.SetOptions(*opts)
	pt, _, err := s.Client.PlaidApi.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(*req).Execute()
	must(err)
	ex, _, err := s.Client.PlaidApi.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(pt.PublicToken)).Execute()
	must(err)
	if _, _, err := s.Client.PlaidApi.SandboxItemFireWebhook(ctx).SandboxItemFireWebhookRequest(*plaid.NewSandboxItemFireWebhookRequest(ex.AccessToken, "DEFAULT_UPDATE")).Execute(); err != nil {
		panic(err)
	}
	s.Emulator.Advance(0)
	for _, wait := range []time.Duration{30 * time.Second, 2 * time.Minute, 8 * time.Minute} {
		s.Emulator.Advance(wait)
	}
	d := s.Emulator.Deliveries()[0]
	for i, a := range d.AttemptLog {
		fmt.Printf("attempt %d at +%s: HTTP %d\n", i+1, a.At.Sub(t0), a.StatusCode)
	}
	fmt.Println(d.WebhookCode, d.State)
	// Output:
	// attempt 1 at +0s: HTTP 503
	// attempt 2 at +30s: HTTP 503
	// attempt 3 at +2m30s: HTTP 503
	// attempt 4 at +10m30s: HTTP 200
	// DEFAULT_UPDATE delivered
}
