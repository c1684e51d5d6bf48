package emulator

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// stoppedClock is a real clock that only the test moves: it reads the wall clock once.
type stoppedClock struct{ t time.Time }

func (c stoppedClock) now() time.Time { return c.t }

// fireItemWebhook makes an Item whose webhook is url and fires DEFAULT_UPDATE at it: one delivery.
func fireItemWebhook(t *testing.T, v *env, url string) {
	t.Helper()
	ex := sandboxItem(t, v, url)
	if _, _, err := v.client.PlaidApi.SandboxItemFireWebhook(v.ctx).SandboxItemFireWebhookRequest(*plaid.NewSandboxItemFireWebhookRequest(ex.AccessToken, "DEFAULT_UPDATE")).Execute(); err != nil {
		t.Fatalf("fire_webhook: %v %s", err, errBody(err))
	}
}

// TestWebhookRetriesFollowPlaidsSchedule (issue 20): a delivery the receiver refuses is retried 30 s
// later, then after 4 times the previous wait (2 min, then 8 min), on the emulator's clock: Advance
// brings each retry exactly when it falls due and never earlier, every retry is signed afresh with
// the real time in iat, and the record shows each attempt.
func TestWebhookRetriesFollowPlaidsSchedule(t *testing.T) {
	clk := stoppedClock{time.Now()}
	v := newEnv(t, Config{Now: clk.now, WebhookBackoff: DefaultWebhookBackoff})
	rc := newReceiver(t)
	rc.fail = func(n int) int {
		if n <= 3 {
			return http.StatusInternalServerError
		}
		return 0
	}
	fireItemWebhook(t, v, rc.srv.URL+"/hook")
	v.emu.Advance(0) // the first attempt has been made
	start := v.emu.Deliveries()[0].AttemptLog[0].At
	for i, wait := range []time.Duration{30 * time.Second, 2 * time.Minute, 8 * time.Minute} {
		before := rc.attempts()
		if got := v.emu.Deliveries()[0].NextAttemptAt.Sub(v.emu.Now()); got != wait {
			t.Fatalf("retry %d planned %s ahead, want %s", i+1, got, wait)
		}
		v.emu.Advance(wait - time.Second)
		if n := rc.attempts(); n != before {
			t.Fatalf("retry %d arrived early, %s before it was due", i+1, time.Second)
		}
		v.emu.Advance(time.Second)
		if n := rc.attempts(); n != before+1 {
			t.Fatalf("retry %d: the receiver saw %d attempts, want %d", i+1, n, before+1)
		}
	}
	d := v.emu.Deliveries()[0]
	var offsets []time.Duration
	for _, a := range d.AttemptLog {
		offsets = append(offsets, a.At.Sub(start))
	}
	want := []time.Duration{0, 30 * time.Second, 150 * time.Second, 630 * time.Second}
	if !slices.Equal(offsets, want) || d.State != "delivered" || d.Attempts != 4 || !d.NextAttemptAt.IsZero() {
		t.Errorf("delivery %s after 4 attempts at %v, want delivered at %v", d.State, offsets, want)
	}
	for i, a := range d.AttemptLog[:3] {
		if a.StatusCode != 500 || !strings.Contains(a.Err, "500") {
			t.Errorf("attempt %d: %+v, want HTTP 500", i+1, a)
		}
	}
	// Retries are signed with the real clock's time, not the advanced one: the receiver checks iat
	// against its own clock.
	h := rc.all()[0]
	v.verifyWebhook(t, h)
	tok, _, err := jwt.NewParser().ParseUnverified(h.Header.Get("Plaid-Verification"), jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	if iat, _ := tok.Claims.GetIssuedAt(); iat == nil || !iat.Time.Equal(clk.t.Truncate(time.Second)) {
		t.Errorf("the retry 10m30s later on the emulator's clock has iat %v, want the real time %v", iat, clk.t.Truncate(time.Second))
	}
	// deliveries.json shows each attempt.
	resp, err := controlGet(v, "/emulator/deliveries.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	st := resp.StatusCode
	var recs []struct {
		AttemptLog []struct {
			At         time.Time `json:"at"`
			StatusCode int       `json:"status_code"`
		} `json:"attempt_log"`
	}
	mustDecode(t, body, &recs)
	if st != 200 || len(recs) != 1 || len(recs[0].AttemptLog) != 4 || recs[0].AttemptLog[3].StatusCode != 200 {
		t.Errorf("deliveries.json: HTTP %d %s", st, body)
	}
}

// TestWebhookRetriesEndAfter24Hours: Plaid keeps trying "for up to 24 hours"; the retry after
// 11h22m30s would fall at 45h30m30s, so the delivery fails after 7 attempts, all made by one Advance.
func TestWebhookRetriesEndAfter24Hours(t *testing.T) {
	v := newEnv(t, Config{Now: stoppedClock{time.Now()}.now, WebhookBackoff: DefaultWebhookBackoff})
	rc := newReceiver(t)
	rc.fail = func(int) int { return http.StatusBadGateway }
	fireItemWebhook(t, v, rc.srv.URL+"/hook")
	v.emu.Advance(48 * time.Hour)
	d := v.emu.Deliveries()[0]
	if d.State != "failed" || d.Attempts != 7 || rc.attempts() != 7 || !d.NextAttemptAt.IsZero() {
		t.Fatalf("after 48 h: %s with %d attempts (receiver saw %d), want failed after 7", d.State, d.Attempts, rc.attempts())
	}
	if last := d.AttemptLog[6].At.Sub(d.AttemptLog[0].At); last != 11*time.Hour+22*time.Minute+30*time.Second {
		t.Errorf("last attempt %s after the first, want 11h22m30s", last)
	}
}

// TestWebhookWithoutAnswerIsRetried: no answer within WebhookTimeout (10 s at Plaid; short here)
// is a failed attempt, retried like a refused one.
func TestWebhookWithoutAnswerIsRetried(t *testing.T) {
	v := newEnv(t, Config{Now: stoppedClock{time.Now()}.now, WebhookBackoff: DefaultWebhookBackoff, WebhookTimeout: 50 * time.Millisecond})
	release := make(chan struct{})
	var calls atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select { // the first attempt never gets an answer in time
			case <-r.Context().Done():
			case <-release:
			}
		}
	}))
	defer func() { close(release); slow.Close() }()
	fireItemWebhook(t, v, slow.URL+"/hook")
	v.emu.Advance(0)
	d := v.emu.Deliveries()[0]
	if d.State != "pending" || d.Attempts != 1 || !strings.Contains(d.Err, "no answer within 50ms") {
		t.Fatalf("after a hanging receiver: %s, %d attempt(s), %q; want a retry planned for no answer", d.State, d.Attempts, d.Err)
	}
	v.emu.Advance(30 * time.Second)
	if d := v.emu.Deliveries()[0]; d.State != "delivered" || d.Attempts != 2 {
		t.Errorf("the retry: %s after %d attempts", d.State, d.Attempts)
	}
}

// TestFailingWebhookDoesNotHoldBackTheRest: a session's webhooks make their first attempts in
// order, but a refused one is retried on its own schedule: an EVENTS the receiver refuses (with a
// 204, which is not Plaid's 200) does not keep SESSION_FINISHED waiting, and arrives after it, out
// of order as Plaid warns webhooks can.
func TestFailingWebhookDoesNotHoldBackTheRest(t *testing.T) {
	v := newEnv(t, Config{Now: stoppedClock{time.Now()}.now, WebhookBackoff: DefaultWebhookBackoff})
	rc := newReceiver(t)
	rc.fail = func(n int) int {
		if n == 1 {
			return http.StatusNoContent
		}
		return 0
	}
	v.session(t, rc.srv.URL+"/hook", goodLogin)
	v.emu.Advance(0)
	if got := codes(rc.all()); got != "[ITEM_ADD_RESULT SESSION_FINISHED]" {
		t.Fatalf("with EVENTS refused, the receiver got %s first", got)
	}
	if ds := v.emu.Deliveries(); ds[0].WebhookCode != "EVENTS" || ds[0].State != "pending" || ds[0].StatusCode != http.StatusNoContent {
		t.Fatalf("EVENTS after a 204: %+v", ds[0])
	}
	v.emu.Advance(30 * time.Second)
	if got := codes(rc.all()); got != "[ITEM_ADD_RESULT SESSION_FINISHED EVENTS]" {
		t.Errorf("after the retry the receiver got %s", got)
	}
	for _, h := range rc.all() {
		v.verifyWebhook(t, h)
	}
}

// TestWebhookRetriesAreBounded: a receiver that always fails gets exactly WebhookAttempts tries per
// webhook, then the delivery is marked failed; a dead address fails the same way.
func TestWebhookRetriesAreBounded(t *testing.T) {
	v := newEnv(t, Config{WebhookAttempts: 3, WebhookBackoff: time.Millisecond})
	rc := newReceiver(t)
	rc.fail = func(int) int { return http.StatusInternalServerError }
	v.session(t, rc.srv.URL+"/hook", goodLogin)
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
	if err := v.emu.CompleteSession(v.ctx, lt2.GetHostedLinkUrl(), goodLogin); err != nil {
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
	v.session(t, rc.srv.URL+"/hook", goodLogin)
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
	if err := v.emu.CompleteSession(v.ctx, lt2.GetHostedLinkUrl(), goodLogin); err != nil {
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
	v.session(t, rc.srv.URL+"/hook", bankDown)
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
	if err := v.emu.CompleteSession(v.ctx, em.URL, goodLogin); err != nil {
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
	lt := v.session(t, rc.srv.URL+"/hook", goodLogin)
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
			if err := v.emu.CompleteSession(v.ctx, em.URL, goodLogin); err != nil {
				t.Error(err)
			}
		}()
	}
	wg2.Wait()
	rc.waitFor(t, "SESSION_FINISHED", n+n/2)
}
