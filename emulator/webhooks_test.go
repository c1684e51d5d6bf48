package emulator

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	plaid "github.com/plaid/plaid-go/v29/plaid"
)

// waitDeliveries polls until ok holds for the delivery records or the wait runs out.
func waitDeliveries(t *testing.T, e *Emulator, what string, ok func([]Delivery) bool) []Delivery {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for {
		ds := e.Deliveries()
		if ok(ds) {
			return ds
		}
		if time.Now().After(deadline) {
			var s []string
			for _, d := range ds {
				s = append(s, fmt.Sprintf("%s:%s/%d", d.WebhookCode, d.State, d.Attempts))
			}
			t.Fatalf("timed out waiting for %s; deliveries %v", what, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func allDone(ds []Delivery) bool {
	for _, d := range ds {
		if d.State == "pending" {
			return false
		}
	}
	return len(ds) > 0
}

// TestWebhookRetriesKeepOrder: the receiver fails the first two attempts; the first webhook is
// retried with growing waits and the later ones of the session wait for it, so order holds.
func TestWebhookRetriesKeepOrder(t *testing.T) {
	v := newEnv(t, Config{WebhookBackoff: 20 * time.Millisecond})
	rc := newReceiver(t)
	rc.fail = func(n int) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return 0
	}
	lt := v.linkToken(t, rc.srv.URL+"/hook", "")
	if err := v.emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), Credentials{Username: UserGood, Password: PassGood}); err != nil {
		t.Fatal(err)
	}
	hooks := rc.waitFor(t, "SESSION_FINISHED", 1)
	if got := codes(hooks); got != "[EVENTS ITEM_ADD_RESULT SESSION_FINISHED]" {
		t.Fatalf("after retries the webhooks arrived as %s", got)
	}
	ds := waitDeliveries(t, v.emu, "all delivered", allDone)
	if ds[0].Attempts != 3 || ds[0].State != "delivered" || ds[0].StatusCode != 200 {
		t.Errorf("first delivery: %+v, want delivered on attempt 3", ds[0])
	}
	for _, d := range ds[1:] {
		if d.Attempts != 1 || d.State != "delivered" {
			t.Errorf("%s: %d attempts, state %s", d.WebhookCode, d.Attempts, d.State)
		}
	}
	// Backoff doubles: 20 ms before the 2nd attempt, 40 ms before the 3rd, and no other wait.
	if got := v.waits.all(); !slices.Equal(got, []time.Duration{20 * time.Millisecond, 40 * time.Millisecond}) {
		t.Errorf("waits between attempts %v; want [20ms 40ms]", got)
	}
	// Every retry is signed afresh and verifies.
	for _, h := range hooks {
		v.verifyWebhook(t, h)
	}
}

// TestWebhookRetriesAreBounded: a receiver that always fails gets exactly WebhookAttempts tries per
// webhook, then the delivery is marked failed; a dead address fails the same way.
func TestWebhookRetriesAreBounded(t *testing.T) {
	v := newEnv(t, Config{WebhookAttempts: 3, WebhookBackoff: time.Millisecond})
	rc := newReceiver(t)
	rc.fail = func(int) int { return http.StatusInternalServerError }
	lt := v.linkToken(t, rc.srv.URL+"/hook", "")
	if err := v.emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), Credentials{Username: UserGood, Password: PassGood}); err != nil {
		t.Fatal(err)
	}
	ds := waitDeliveries(t, v.emu, "3 failed deliveries", func(ds []Delivery) bool { return len(ds) == 3 && allDone(ds) })
	for _, d := range ds {
		if d.State != "failed" || d.Attempts != 3 || d.StatusCode != 500 || !strings.Contains(d.Err, "500") {
			t.Errorf("%s: %+v, want failed after 3 attempts with HTTP 500", d.WebhookCode, d)
		}
	}
	if n := rc.attempts(); n != 9 {
		t.Errorf("receiver saw %d attempts, want 3 webhooks × 3 tries = 9", n)
	}

	// Nobody listening at all.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	lt2 := v.linkToken(t, deadURL+"/hook", "")
	if err := v.emu.CompleteSession(v.ctx, lt2.GetHostedLinkUrl(), Credentials{Username: UserGood, Password: PassGood}); err != nil {
		t.Fatal(err)
	}
	ds = waitDeliveries(t, v.emu, "dead-address deliveries", func(ds []Delivery) bool { return len(ds) == 6 && allDone(ds) })
	for _, d := range ds[3:] {
		if d.State != "failed" || d.Attempts != 3 || d.StatusCode != 0 || d.Err == "" {
			t.Errorf("dead address: %+v", d)
		}
	}
	// The emulator is still fine.
	if _, _, err := v.client.PlaidApi.LinkTokenGet(v.ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt2.GetLinkToken())).Execute(); err != nil {
		t.Fatal(err)
	}
}

// TestWebhookFaults: drop, duplicate and delay apply per delivery, in delivery order.
func TestWebhookFaults(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)

	v.emu.SetWebhookFault(WebhookFault{Drop: 1, Duplicate: 1})
	lt := v.linkToken(t, rc.srv.URL+"/hook", "")
	if err := v.emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), Credentials{Username: UserGood, Password: PassGood}); err != nil {
		t.Fatal(err)
	}
	hooks := rc.waitFor(t, "SESSION_FINISHED", 1)
	// EVENTS dropped, ITEM_ADD_RESULT twice, SESSION_FINISHED once.
	if got := codes(hooks); got != "[ITEM_ADD_RESULT ITEM_ADD_RESULT SESSION_FINISHED]" {
		t.Errorf("with drop 1 / duplicate 1 the receiver got %s", got)
	}
	ds := waitDeliveries(t, v.emu, "done", allDone)
	if ds[0].State != "dropped" || ds[0].Attempts != 0 || !ds[1].Duplicated || ds[2].Duplicated {
		t.Errorf("delivery records: %+v", ds)
	}

	// Through the control endpoint: a delay on every webhook.
	st, body := rawPost(t, v, "/emulator/webhook_faults", `{"drop":0,"duplicate":0,"delay_ms":150}`, keys(v))
	if st != 200 {
		t.Fatalf("POST /emulator/webhook_faults: %d %s", st, body)
	}
	lt2 := v.linkToken(t, rc.srv.URL+"/hook2", "")
	v.waits.reset()
	if err := v.emu.CompleteSession(v.ctx, lt2.GetHostedLinkUrl(), Credentials{Username: UserGood, Password: PassGood}); err != nil {
		t.Fatal(err)
	}
	rc.waitFor(t, "SESSION_FINISHED", 2)
	// Three webhooks, each delayed 150 ms before it is sent.
	if got := v.waits.all(); !slices.Equal(got, []time.Duration{150 * time.Millisecond, 150 * time.Millisecond, 150 * time.Millisecond}) {
		t.Errorf("webhook waits %v; want 150ms before each of the three", got)
	}
	for _, bad := range []string{`{"drop":-1}`, `{"dropp":1}`, `nope`} {
		if st, body := rawPost(t, v, "/emulator/webhook_faults", bad, keys(v)); st != 400 || !strings.Contains(string(body), "error_message") {
			t.Errorf("webhook_faults %s: HTTP %d %s", bad, st, body)
		}
	}
}

// TestKeyRotation: after RotateWebhookKey the old key is served with expired_at, new webhooks carry
// the new kid, and both keys still verify what they signed.
func TestKeyRotation(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	before := v.emu.WebhookKeyID()
	lt := v.linkToken(t, rc.srv.URL+"/hook", "")
	if err := v.emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), Credentials{Username: UserGood, Password: PassInstitutionDown}); err != nil {
		t.Fatal(err)
	}
	first := rc.waitFor(t, "SESSION_FINISHED", 1)
	old := v.emu.RotateWebhookKey()
	if old != before || v.emu.WebhookKeyID() == before {
		t.Fatalf("RotateWebhookKey returned %s (was %s), current now %s", old, before, v.emu.WebhookKeyID())
	}
	resp, _, err := v.client.PlaidApi.WebhookVerificationKeyGet(v.ctx).WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest(old)).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Key.ExpiredAt.IsSet() || resp.Key.ExpiredAt.Get() == nil || *resp.Key.ExpiredAt.Get() < resp.Key.CreatedAt {
		t.Errorf("old key expired_at = %v", resp.Key.ExpiredAt.Get())
	}
	cur, _, err := v.client.PlaidApi.WebhookVerificationKeyGet(v.ctx).WebhookVerificationKeyGetRequest(*plaid.NewWebhookVerificationKeyGetRequest(v.emu.WebhookKeyID())).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if cur.Key.ExpiredAt.Get() != nil {
		t.Errorf("current key has expired_at %v", *cur.Key.ExpiredAt.Get())
	}
	if _, err := v.emu.RestoreInstitution(DefaultInstitutionID); err != nil {
		t.Fatal(err)
	}
	em := v.emu.Inbox()[0]
	if err := v.emu.CompleteSession(v.ctx, em.URL, Credentials{Username: UserGood, Password: PassGood}); err != nil {
		t.Fatal(err)
	}
	all := rc.waitFor(t, "SESSION_FINISHED", 2)
	kid := func(h hook) string {
		tok, _, err := jwt.NewParser().ParseUnverified(h.Header.Get("Plaid-Verification"), jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := tok.Header["kid"].(string)
		return s
	}
	for i, h := range all {
		want := old
		if i >= len(first) {
			want = v.emu.WebhookKeyID()
		}
		if kid(h) != want {
			t.Errorf("webhook %d (%s) signed with %s, want %s", i, h.code(), kid(h), want)
		}
		v.verifyWebhook(t, h)
	}
}

// TestCloseStopsRetries: Close does not wait out a long backoff; the pending delivery is cancelled.
func TestCloseStopsRetries(t *testing.T) {
	rc := newReceiver(t)
	rc.fail = func(int) int { return http.StatusBadGateway }
	v := newEnv(t, Config{WebhookBackoff: time.Hour})
	emu := v.emu
	lt := v.linkToken(t, rc.srv.URL+"/hook", "")
	if err := emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), Credentials{Username: UserGood, Password: PassGood}); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(t, emu, "the first attempt", func(ds []Delivery) bool { return len(ds) > 0 && ds[0].Attempts == 1 })
	done := make(chan struct{})
	go func() { _ = emu.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(testWait):
		t.Fatal("Close is still waiting on an hour-long backoff")
	}
	for _, d := range emu.Deliveries() {
		if d.State != "cancelled" {
			t.Errorf("%s after Close: state %s", d.WebhookCode, d.State)
		}
	}
	// No webhook is sent after Close; the API still answers.
	if _, _, err := v.client.PlaidApi.LinkTokenGet(v.ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt.GetLinkToken())).Execute(); err != nil {
		t.Errorf("API after Close: %v", err)
	}
}

// TestConcurrentSessions runs many sessions at once (under -race) and checks each gets its own,
// ordered webhooks.
func TestConcurrentSessions(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	const n = 12
	var wg sync.WaitGroup
	tokens := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Not v.linkToken: t.Fatal must not be called off the test goroutine.
			req := plaid.NewLinkTokenCreateRequest("App", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser(fmt.Sprint("u", i)))
			req.SetWebhook(fmt.Sprintf("%s/hook/%d", rc.srv.URL, i))
			req.SetHostedLink(*plaid.NewLinkTokenCreateHostedLink())
			lt, _, err := v.client.PlaidApi.LinkTokenCreate(v.ctx).LinkTokenCreateRequest(*req).Execute()
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i] = lt.GetLinkToken()
			pass := PassGood
			if i%2 == 1 {
				pass = PassInstitutionDown
			}
			if err := v.emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), Credentials{Username: UserGood, Password: pass}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	rc.waitFor(t, "SESSION_FINISHED", n)
	if v.emu.OptIns() != n/2 {
		t.Errorf("OptIns = %d, want %d", v.emu.OptIns(), n/2)
	}
	// Per session, SESSION_FINISHED is the last webhook.
	last := map[string]string{}
	for _, h := range rc.all() {
		var m struct {
			LinkSessionID string `json:"link_session_id"`
		}
		mustDecode(t, h.Body, &m)
		if last[m.LinkSessionID] == "SESSION_FINISHED" {
			t.Errorf("session %s got %s after SESSION_FINISHED", m.LinkSessionID, h.code())
		}
		last[m.LinkSessionID] = h.code()
	}
	if len(last) != n {
		t.Errorf("webhooks came from %d sessions, want %d", len(last), n)
	}
	emails, err := v.emu.RestoreInstitution("")
	if err != nil || len(emails) != n/2 {
		t.Fatalf("restore: %d e-mails, %v", len(emails), err)
	}
	var wg2 sync.WaitGroup
	for _, em := range emails {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			if err := v.emu.CompleteSession(v.ctx, em.URL, Credentials{Username: UserGood, Password: PassGood}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg2.Wait()
	rc.waitFor(t, "SESSION_FINISHED", n+n/2)
}
