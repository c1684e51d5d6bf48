package webhook

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCompletePage(t *testing.T) {
	r := NewReceiver(ReceiverConfig{})
	base := serve(t, r)
	resp, err := http.Get(r.CompleteURL(base + "/complete?link_session_id=abc"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// Plaid redirects here on exit as well as on success, so the page claims neither.
	if resp.StatusCode != 200 || !strings.Contains(string(page), "return to your terminal") ||
		!strings.Contains(string(page), "when you finish and when you leave") || strings.Contains(string(page), "You're done") ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, type %q, page %q", resp.StatusCode, resp.Header.Get("Content-Type"), page)
	}
	ev := nextEvent(t, r)
	if ev.Kind != EventComplete || string(ev.Body) != "link_session_id=abc" || ev.Seq != 1 {
		t.Fatalf("event %+v", ev)
	}
	// An unknown path is a 404 and not an event (scanners and favicons are noise).
	if resp, _ := http.Get(base + "/favicon.ico"); resp.StatusCode != 404 {
		t.Fatalf("favicon: %d", resp.StatusCode)
	}
	if st := post(t, base+"/complete", "application/json", "", []byte("{}")); st != 405 {
		t.Fatalf("POST /complete: %d", st)
	}
	if ev := nextEvent(t, r); ev.Kind != EventRejected || ev.Seq != 2 {
		t.Fatalf("after 404 and POST /complete: %+v (the 404 must not be an event)", ev)
	}
}

// TestCompleteCountsOnlyWithNonce: knowing the /complete URL is not enough to tick "completion page
// reached": a bare GET shows a page and counts nothing, a wrong nonce is refused and listed, a HEAD
// (link previewers) counts nothing; only this run's nonce counts, and the nonce never reaches an event.
func TestCompleteCountsOnlyWithNonce(t *testing.T) {
	r := NewReceiver(ReceiverConfig{})
	base := serve(t, r)
	get := func(method, url string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	if st, page := get("GET", base+"/complete"); st != 200 || !strings.Contains(page, "did not count") {
		t.Fatalf("bare GET: %d %q, want 200 and a page saying nothing was counted", st, page)
	}
	if st, page := get("GET", base+"/complete/guess?link_session_id=x"); st != 403 || !strings.Contains(page, "did not count") {
		t.Fatalf("wrong nonce: %d %q, want 403 and the not-counted page", st, page)
	}
	if st, _ := get("HEAD", r.CompleteURL(base+"/complete")); st != 200 {
		t.Fatalf("HEAD with the nonce: %d", st)
	}
	if r.CompleteNonce() == "" || len(r.CompleteNonce()) < 20 || NewReceiver(ReceiverConfig{}).CompleteNonce() == r.CompleteNonce() {
		t.Fatalf("nonce %q is not a fresh random value", r.CompleteNonce())
	}
	st, page := get("GET", r.CompleteURL(base+"/complete?link_session_id=ok"))
	if st != 200 || !strings.Contains(page, "return to your terminal") {
		t.Fatalf("GET with the nonce: %d %q", st, page)
	}
	if u := r.CompleteURL(base + "/complete"); u != base+"/complete/"+r.CompleteNonce() {
		t.Fatalf("CompleteURL = %q, want the nonce as the last path segment", u)
	}
	ev := nextEvent(t, r, EventComplete)
	if string(ev.Body) != "link_session_id=ok" || strings.Contains(string(ev.Body), r.CompleteNonce()) {
		t.Fatalf("complete event body %q: want the query without the nonce", ev.Body)
	}
	n := kinds(r.Recent())
	if n[EventComplete] != 1 || n[EventRejected] != 1 {
		t.Fatalf("%d completions and %d refusals; want 1 and 1 (only the nonce counts; the wrong nonce is listed)", n[EventComplete], n[EventRejected])
	}
	for _, e := range r.Recent() {
		if e.Kind == EventRejected && (e.Status != 403 || !strings.Contains(e.Reason, "not counted")) {
			t.Errorf("wrong-nonce listing: %+v", e)
		}
	}
}

// TestCompleteWithoutNonceTicksNothing is the attack on its own (a LAN client or anyone holding
// the URL opens /complete): nothing may report the completion page as reached.
func TestCompleteWithoutNonceTicksNothing(t *testing.T) {
	r := NewReceiver(ReceiverConfig{})
	base := serve(t, r)
	for _, u := range []string{"/complete", "/complete/", "/complete?link_session_id=abc", "/complete?lr_nonce=&x=1",
		"/complete/AAAAAAAAAAAAAAAAAAAAAAAAAA", "/complete/x/y", "/complete//", "/complete?" + r.CompleteNonce()} {
		resp, err := http.Get(base + u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for _, e := range r.Recent() {
		if e.Kind == EventComplete {
			t.Fatalf("a visit without this run's nonce counted as the completion page: %+v", e)
		}
	}
}

func TestNoVerifierStillDedupes(t *testing.T) {
	r := NewReceiver(ReceiverConfig{})
	base := serve(t, r)
	body := sessionFinished("nv")
	for i, wantDup := range []bool{false, true} {
		if st := post(t, base+"/webhook", "application/json", "", body); st != 200 {
			t.Fatalf("#%d status %d", i, st)
		}
		ev := nextEvent(t, r)
		if ev.Verified || ev.Reason != ReasonNoVerifier || ev.Duplicate != wantDup || ev.Actionable() == wantDup {
			t.Fatalf("#%d: %+v", i, ev)
		}
	}
}

// TestForwardTo relays the original body and Plaid-Verification header and reports status and latency.
func TestForwardTo(t *testing.T) {
	kr := newKeyring(t)
	type got struct {
		body, verification, ctype string
	}
	gotc := make(chan got, 4)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotc <- got{string(b), r.Header.Get("Plaid-Verification"), r.Header.Get("Content-Type")}
		time.Sleep(20 * time.Millisecond)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer app.Close()
	// Basic auth in the URL is used for the relay but never shown.
	target := strings.Replace(app.URL, "http://", "http://dev:hunter2@", 1) + "/plaid"
	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), ForwardTo: target})
	base := serve(t, r)
	body := sessionFinished("fw")
	h := kr.sign(t, "kid-good", body, time.Now())
	post(t, base+"/webhook", "application/json", h, body)
	wh := nextEvent(t, r, EventWebhook)
	fw := nextEvent(t, r, EventForward)
	g := <-gotc
	if g.body != string(body) || g.verification != h || g.ctype != "application/json" {
		t.Fatalf("relayed %+v", g)
	}
	if fw.Forward == nil || fw.Forward.Seq != wh.Seq || fw.Forward.StatusCode != 202 || fw.Forward.Err != "" ||
		fw.Forward.Latency < 20*time.Millisecond || fw.Forward.URL != strings.Replace(target, "hunter2", "xxxxx", 1) {
		t.Fatalf("forward result %+v", fw.Forward)
	}
	// An unverified webhook is not relayed, and the listing says so and why.
	post(t, base+"/webhook", "application/json", "", sessionFinished("fw2"))
	if fw := nextEvent(t, r, EventForward); fw.Forward.StatusCode != 0 || !fw.Forward.Skipped ||
		!strings.Contains(fw.Forward.Err, "not relayed: the webhook is not verified ("+ReasonNoHeader+")") {
		t.Fatalf("unverified webhook: %+v", fw.Forward)
	}
	select {
	case g := <-gotc:
		t.Fatalf("an unverified webhook reached the app: %+v", g)
	case <-time.After(100 * time.Millisecond):
	}

	// --forward-unverified relays everything, for someone testing their own handler's verification.
	all := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), ForwardTo: target, ForwardUnverified: true})
	base = serve(t, all)
	post(t, base+"/webhook", "application/json", "", sessionFinished("fw3"))
	if fw := nextEvent(t, all, EventForward); fw.Forward.StatusCode != 202 || fw.Forward.Skipped {
		t.Fatalf("unverified relay with ForwardUnverified %+v", fw.Forward)
	}
	if g := <-gotc; g.verification != "" {
		t.Fatalf("relayed a header that was not there: %q", g.verification)
	}
}

func TestForwardToDeadTargetIsNotFatal(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String() + "/webhook"
	ln.Close()
	r := NewReceiver(ReceiverConfig{ForwardTo: dead, ForwardUnverified: true})
	base := serve(t, r)
	for i := range 2 {
		if st := post(t, base+"/webhook", "application/json", "", sessionFinished("dead"+string(rune('a'+i)))); st != 200 {
			t.Fatalf("status %d", st)
		}
		fw := nextEvent(t, r, EventForward)
		if fw.Forward.StatusCode != 0 || !strings.Contains(fw.Forward.Err, "connection refused") {
			t.Fatalf("dead target: %+v", fw.Forward)
		}
	}
}

func TestForwardToBadURLAndLoopGuard(t *testing.T) {
	if err := ValidateForwardURL("localhost:3000"); err == nil || !strings.Contains(err.Error(), "http://localhost:3000") {
		t.Fatalf("ValidateForwardURL: %v", err)
	}
	r := NewReceiver(ReceiverConfig{ForwardTo: "ftp://x", ForwardUnverified: true})
	base := serve(t, r)
	post(t, base+"/webhook", "application/json", "", sessionFinished("bad"))
	if fw := nextEvent(t, r, EventForward); !strings.Contains(fw.Forward.Err, "not an absolute http(s) URL") {
		t.Fatalf("bad URL: %+v", fw.Forward)
	}

	// A receiver forwarding to itself relays once, not forever.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	self := NewReceiver(ReceiverConfig{ForwardTo: "http://" + ln.Addr().String() + "/webhook", ForwardUnverified: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- self.Serve(ctx, ln) }()
	post(t, "http://"+ln.Addr().String()+"/webhook", "application/json", "", sessionFinished("loop"))
	// The relay's own webhook was handled before the relay got its answer, so a second relay, had
	// the guard let one start, is queued by now: FinishForwards waits for it to be recorded.
	nextEvent(t, self, EventForward)
	self.FinishForwards(testWait)
	cancel()
	<-done
	if n := kinds(self.Recent()); n[EventWebhook] != 2 || n[EventForward] != 1 {
		t.Fatalf("self-forward: %d webhooks, %d forwards; want 2 and 1", n[EventWebhook], n[EventForward])
	}
}

// TestSlowReaderNeverBlocksPlaid: with nobody reading Events, webhooks are still answered at once;
// the overflow is counted and kept in Recent.
func TestSlowReaderNeverBlocksPlaid(t *testing.T) {
	r := NewReceiver(ReceiverConfig{Buffer: 2, SendWait: 10 * time.Millisecond, Keep: 5})
	base := serve(t, r)
	for i := range 8 {
		if st := post(t, base+"/webhook", "application/json", "", sessionFinished("slow"+string(rune('a'+i)))); st != 200 {
			t.Fatalf("status %d", st)
		}
	}
	if d := r.Dropped(); d != 6 {
		t.Fatalf("dropped %d, want 6 (8 sent, buffer 2)", d)
	}
	rec := r.Recent()
	if len(rec) != 5 || rec[0].Seq != 8 || rec[4].Seq != 4 {
		t.Fatalf("recent: %d events, first seq %d", len(rec), rec[0].Seq)
	}
	for i := range 2 {
		if ev := <-r.Events(); ev.Seq != int64(i+1) {
			t.Fatalf("buffered event %d has seq %d", i, ev.Seq)
		}
	}
}

// TestEventsClosedOnce: Serve's return and Close both close Events, exactly once, and a handler
// still running afterwards does not panic.
func TestEventsClosedOnce(t *testing.T) {
	r := NewReceiver(ReceiverConfig{})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Serve(ctx, ln) }()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("POST", "/webhook", strings.NewReader(string(sessionFinished("c"+string(rune('a'+i))))))
			req.Header.Set("Content-Type", "application/json")
			r.ServeHTTP(httptest.NewRecorder(), req)
		}()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r.Close()
	wg.Wait()
	for range r.Events() {
	}
	if _, ok := <-r.Events(); ok {
		t.Fatal("events not closed")
	}
	// Close alone (mounted without Serve) closes too.
	r2 := NewReceiver(ReceiverConfig{})
	r2.Close()
	r2.Close()
	if _, ok := <-r2.Events(); ok {
		t.Fatal("events not closed by Close")
	}
}

func TestServeReportsListenerFailure(t *testing.T) {
	r := NewReceiver(ReceiverConfig{})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ln.Close()
	err := r.Serve(context.Background(), ln)
	if err == nil || !strings.Contains(err.Error(), "webhook receiver stopped") {
		t.Fatalf("err %v", err)
	}
	if _, ok := <-r.Events(); ok {
		t.Fatal("events not closed")
	}
}

// TestDuplicateKeys: two EVENTS batches of one session are both new; a retried SESSION_FINISHED is
// a duplicate even if its bytes differ (key order, a retry field), because a session finishes once.
func TestDuplicateKeys(t *testing.T) {
	r := NewReceiver(ReceiverConfig{})
	base := serve(t, r)
	send := func(body string) Event {
		t.Helper()
		post(t, base+"/webhook", "application/json", "", []byte(body))
		return nextEvent(t, r)
	}
	for i, tc := range []struct {
		body string
		dup  bool
	}{
		{`{"webhook_type":"LINK","webhook_code":"EVENTS","link_session_id":"s1","events":[{"event_name":"OPEN"}]}`, false},
		{`{"webhook_type":"LINK","webhook_code":"EVENTS","link_session_id":"s1","events":[{"event_name":"HANDOFF"}]}`, false},
		{`{"webhook_type":"LINK","webhook_code":"EVENTS","link_session_id":"s1","events":[{"event_name":"HANDOFF"}]}`, true},
		{`{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","link_session_id":"s1","status":"SUCCESS","public_tokens":["p1"]}`, false},
		{`{"link_session_id":"s1","webhook_code":"SESSION_FINISHED","webhook_type":"LINK","status":"SUCCESS","public_tokens":["p1"]}`, true},
		{`{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","link_session_id":"s2","status":"SUCCESS","public_tokens":["p2"]}`, false},
	} {
		if ev := send(tc.body); ev.Duplicate != tc.dup {
			t.Errorf("#%d duplicate=%v, want %v", i, ev.Duplicate, tc.dup)
		}
	}
}

// TestChunkedOversizeBody: without a Content-Length the limit still holds; the event keeps only
// the start of the body.
func TestChunkedOversizeBody(t *testing.T) {
	r := NewReceiver(ReceiverConfig{})
	base := serve(t, r)
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"webhook_type":"LINK","webhook_code":"X","pad":"`))
		chunk := []byte(strings.Repeat("z", 64<<10))
		for range 20 { // 1.25 MiB
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, base+"/webhook", pr)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	pr.CloseWithError(io.ErrClosedPipe)
	ev := nextEvent(t, r)
	if ev.Kind != EventRejected || ev.Status != 413 || ev.Reason != "body over 1 MiB" || len(ev.Body) != rejectedBodyCap {
		t.Fatalf("event %v %d %q, body %d bytes", ev.Kind, ev.Status, ev.Reason, len(ev.Body))
	}
}

// TestForwardFloodOfForgedWebhooksCannotCrowdOutGenuine: 100 forged webhooks against a target that
// is slow to answer them; the genuine webhook that follows is still relayed, promptly.
func TestForwardFloodOfForgedWebhooksCannotCrowdOutGenuine(t *testing.T) {
	kr := newKeyring(t)
	release := make(chan struct{})
	genuine := make(chan string, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		if strings.Contains(string(b), "forged") {
			<-release // slow for these
			return
		}
		genuine <- string(b)
	}))
	defer app.Close()
	defer close(release)
	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), ForwardTo: app.URL, Buffer: 1024})
	base := serve(t, r)
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for i := range 100 {
		body := sessionFinished(fmt.Sprintf("forged-%d", i))
		h, _ := Sign(attacker, "kid-good", body, time.Now()) // a known kid, the wrong key
		post(t, base+"/webhook", "application/json", h, body)
	}
	body := sessionFinished("genuine")
	post(t, base+"/webhook", "application/json", kr.sign(t, "kid-good", body, time.Now()), body)
	select {
	case got := <-genuine:
		if got != string(body) {
			t.Fatalf("relayed %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the genuine webhook was not relayed: forged ones crowded it out")
	}
}

// TestForwardUnverifiedLaneIsBounded: with ForwardUnverified, a target stuck on forged webhooks
// holds only the unverified lane: overflow is dropped and reported, and verified relays go on.
func TestForwardUnverifiedLaneIsBounded(t *testing.T) {
	kr := newKeyring(t)
	release := make(chan struct{})
	genuine := make(chan struct{}, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		if strings.Contains(string(b), "forged") {
			select {
			case <-release:
			case <-req.Context().Done():
			}
			return
		}
		genuine <- struct{}{}
	}))
	defer app.Close()
	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), ForwardTo: app.URL, ForwardUnverified: true,
		ForwardTimeout: time.Minute, Buffer: 1024})
	base := serve(t, r)
	defer close(release) // runs before the receiver stops, so its relays can finish
	for i := range 50 {
		post(t, base+"/webhook", "application/json", "", sessionFinished(fmt.Sprintf("forged-%d", i)))
	}
	body := sessionFinished("genuine")
	post(t, base+"/webhook", "application/json", kr.sign(t, "kid-good", body, time.Now()), body)
	select {
	case <-genuine:
	case <-time.After(10 * time.Second):
		t.Fatal("a target stuck on unverified relays held up the verified one")
	}
	var dropped int
	for _, ev := range r.Recent() {
		if ev.Kind == EventForward && ev.Forward.Skipped && strings.Contains(ev.Forward.Err, "too many relays still waiting") {
			dropped++
		}
	}
	if accepted := 50 - dropped; dropped == 0 || accepted > forwardUnverifiedWorkers+forwardUnverifiedQueue {
		t.Fatalf("%d of 50 stuck relays dropped and reported; at most %d may wait", dropped, forwardUnverifiedWorkers+forwardUnverifiedQueue)
	}
}

// TestForwardTimeout: a relay that the target does not answer ends with a reported timeout.
func TestForwardTimeout(t *testing.T) {
	kr := newKeyring(t)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.ReadAll(req.Body) // net/http notices the client hanging up only once the body is read
		<-req.Context().Done()
	}))
	defer app.Close()
	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), ForwardTo: app.URL, ForwardTimeout: 50 * time.Millisecond})
	base := serve(t, r)
	body := sessionFinished("slow")
	post(t, base+"/webhook", "application/json", kr.sign(t, "kid-good", body, time.Now()), body)
	if fw := nextEvent(t, r, EventForward); fw.Forward.StatusCode != 0 || fw.Forward.Err != "timed out waiting for your app" {
		t.Fatalf("relay to a target that never answers: %+v", fw.Forward)
	}
}

// TestForwardInFlightFinishesAtClose: a relay in flight when the receiver stops finishes (within
// the drain bound) and its result is recorded, instead of being cut off.
func TestForwardInFlightFinishesAtClose(t *testing.T) {
	kr := newKeyring(t)
	arrived := make(chan struct{}, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		arrived <- struct{}{}
		time.Sleep(200 * time.Millisecond) // the developer's app takes its time
		w.WriteHeader(http.StatusAccepted)
	}))
	defer app.Close()
	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), ForwardTo: app.URL})
	base := serve(t, r)
	body := sessionFinished("exit")
	post(t, base+"/webhook", "application/json", kr.sign(t, "kid-good", body, time.Now()), body)
	<-arrived
	r.Close()
	var got *ForwardResult
	for _, ev := range r.Recent() {
		if ev.Kind == EventForward {
			got = ev.Forward
		}
	}
	if got == nil || got.StatusCode != http.StatusAccepted || got.Err != "" {
		t.Fatalf("relay in flight at exit: %+v, want it finished with 202 and recorded", got)
	}
}

// TestFinishForwardsIsBounded: relays that cannot finish are cancelled after the drain bound and
// returned as such, queued ones included; webhooks that arrive afterwards are not relayed.
func TestFinishForwardsIsBounded(t *testing.T) {
	kr := newKeyring(t)
	arrived := make(chan struct{}, 16)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.ReadAll(req.Body)
		arrived <- struct{}{}
		<-req.Context().Done()
	}))
	defer app.Close()
	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), ForwardTo: app.URL, ForwardTimeout: time.Minute})
	base := serve(t, r)
	n := forwardWorkers + 2 // all workers stuck, two more queued
	for i := range n {
		body := sessionFinished(fmt.Sprintf("stuck-%d", i))
		post(t, base+"/webhook", "application/json", kr.sign(t, "kid-good", body, time.Now()), body)
	}
	for range forwardWorkers {
		<-arrived
	}
	done := make(chan []Event)
	go func() { done <- r.FinishForwards(100 * time.Millisecond) }()
	var late []Event
	select {
	case late = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("FinishForwards did not return")
	}
	if len(late) != n {
		t.Fatalf("FinishForwards returned %d results, want %d", len(late), n)
	}
	for _, ev := range late {
		if ev.Kind != EventForward || !strings.HasPrefix(ev.Forward.Err, "cancelled") {
			t.Errorf("late result %+v", ev.Forward)
		}
	}
	body := sessionFinished("after")
	post(t, base+"/webhook", "application/json", kr.sign(t, "kid-good", body, time.Now()), body)
	for {
		fw := nextEvent(t, r, EventForward) // FinishForwards took the n cancelled results off Events
		if fw.Forward.Skipped {
			if !strings.Contains(fw.Forward.Err, "exiting") {
				t.Fatalf("a webhook after FinishForwards: %+v", fw.Forward)
			}
			break
		}
	}
}

// TestFinishForwardsHandsOverEveryResult: a reader that has stopped reading (a run at its end)
// gets one result for every relay from FinishForwards: those that finished while Events was full
// (dropped from it), those still waiting on it, and those cancelled at the end, each once, in order.
func TestFinishForwardsHandsOverEveryResult(t *testing.T) {
	kr := newKeyring(t)
	const answered = 3
	var mu sync.Mutex
	calls := 0
	arrived := make(chan struct{}, 64)
	release := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.ReadAll(req.Body)
		mu.Lock()
		calls++
		first := calls <= answered
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusAccepted)
			arrived <- struct{}{}
			return
		}
		arrived <- struct{}{}
		select { // the rest hang until FinishForwards cancels them
		case <-req.Context().Done():
		case <-release:
		}
	}))
	defer app.Close()
	defer close(release)
	// Room for two events, and no wait for more: nobody reads, so most results miss Events.
	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), ForwardTo: app.URL, ForwardTimeout: time.Minute,
		Buffer: 2, SendWait: time.Millisecond})
	base := serve(t, r)
	const n = forwardWorkers + 4
	for i := range n {
		body := sessionFinished(fmt.Sprintf("unread-%d", i))
		post(t, base+"/webhook", "application/json", kr.sign(t, "kid-good", body, time.Now()), body)
	}
	for range answered + forwardWorkers { // the answered ones are done and every worker hangs
		select {
		case <-arrived:
		case <-time.After(testWait):
			t.Fatal("the relays did not reach the app")
		}
	}
	results := r.FinishForwards(50 * time.Millisecond)
	var ok, cancelled int
	seen := map[int64]bool{}
	for i, ev := range results {
		f := ev.Forward
		if ev.Kind != EventForward || f == nil || seen[f.Seq] || (i > 0 && ev.Seq < results[i-1].Seq) {
			t.Fatalf("result %d: %+v (a repeat, out of order, or not a relay's)", i, ev)
		}
		seen[f.Seq] = true
		switch {
		case f.StatusCode == http.StatusAccepted && f.Err == "":
			ok++
		case strings.HasPrefix(f.Err, "cancelled"):
			cancelled++
		default:
			t.Errorf("result %+v", f)
		}
	}
	if len(seen) != n || ok != answered || cancelled != n-answered {
		t.Fatalf("%d relays, FinishForwards handed over %d results (%d answered, %d cancelled); want %d: %d and %d",
			n, len(seen), ok, cancelled, n, answered, n-answered)
	}
	if again := r.FinishForwards(0); len(again) != 0 {
		t.Fatalf("a second FinishForwards handed over %d results again", len(again))
	}
}

// TestFinishForwardsWaitsForAWebhookBeingReceived: a webhook that is being received as the run
// stops (numbered, not yet relayed) still gets its relay and its result from FinishForwards. The
// lanes used to close at once, so that webhook was "not relayed: exiting" after FinishForwards had
// returned, and a reader that had seen it never got a record of its relay.
func TestFinishForwardsWaitsForAWebhookBeingReceived(t *testing.T) {
	kr := newKeyring(t)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.ReadAll(req.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer app.Close()
	inEmit, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), ForwardTo: app.URL, OnEvent: func(ev Event) {
		if ev.Kind == EventWebhook {
			once.Do(func() { close(inEmit); <-release }) // hold the webhook between numbering and relay
		}
	}})
	base := serve(t, r)
	body := sessionFinished("stopping")
	sig := kr.sign(t, "kid-good", body, time.Now())
	posted := make(chan error, 1)
	go func() { // not post: t.Fatal belongs to the test's goroutine
		req, _ := http.NewRequest(http.MethodPost, base+"/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Plaid-Verification", sig)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		posted <- err
	}()
	<-inEmit
	results := make(chan []Event, 1)
	go func() { results <- r.FinishForwards(time.Minute) }()
	deadline := time.Now().Add(testWait)
	for stopping := false; !stopping; {
		r.mu.Lock()
		stopping = r.fwd.stopping
		r.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("FinishForwards did not start stopping")
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	var got []Event
	select {
	case got = <-results:
	case <-time.After(testWait):
		t.Fatal("FinishForwards did not return")
	}
	if len(got) != 1 || got[0].Forward == nil || got[0].Forward.StatusCode != http.StatusAccepted {
		t.Fatalf("FinishForwards handed over %+v, want the held webhook's relay answered 202", got)
	}
	if err := <-posted; err != nil {
		t.Fatal(err)
	}
}

// TestOnlyPlaidIPs: with AllowWebhookFrom, /webhook answers only Plaid's addresses (the right-most
// X-Forwarded-For entry behind ngrok, the connection's address otherwise); refusals are listed with
// the reason, and /complete stays open for the phone.
func TestOnlyPlaidIPs(t *testing.T) {
	kr := newKeyring(t)
	var plaid []netip.Prefix
	for _, c := range []string{"52.21.26.131/32", "52.21.47.157/32", "52.41.247.19/32", "52.88.82.239/32"} {
		plaid = append(plaid, netip.MustParsePrefix(c))
	}
	send := func(t *testing.T, base string, xff ...string) int {
		t.Helper()
		body := sessionFinished(fmt.Sprintf("ip-%d", time.Now().UnixNano()))
		req, _ := http.NewRequest(http.MethodPost, base+"/webhook", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Plaid-Verification", kr.sign(t, "kid-good", body, time.Now()))
		for _, v := range xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("behind ngrok", func(t *testing.T) {
		r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), AllowWebhookFrom: plaid, TrustForwardedFor: true})
		base := serve(t, r)
		for _, c := range []struct {
			name string
			xff  []string
			want int
		}{
			{"Plaid, as ngrok appends it", []string{"52.21.26.131"}, 200},
			{"Plaid after a sender-written entry", []string{"203.0.113.9, 52.88.82.239"}, 200},
			{"a sender writing Plaid's address first", []string{"52.21.26.131, 203.0.113.9"}, 403},
			{"two header lines, the last is ngrok's", []string{"52.41.247.19", "198.51.100.7"}, 403},
			{"not an address", []string{"52.21.26.131, junk"}, 403},
			{"a neighbour of Plaid's", []string{"52.21.26.132"}, 403},
			{"no header: the connection (loopback here)", nil, 403},
		} {
			if st := send(t, base, c.xff...); st != c.want {
				t.Errorf("%s: %d, want %d", c.name, st, c.want)
			}
		}
		var refused []string
		for _, ev := range r.Recent() {
			if ev.Kind == EventRejected {
				refused = append(refused, ev.Reason)
			}
		}
		if len(refused) != 5 || !slices.ContainsFunc(refused, func(s string) bool {
			return strings.Contains(s, "source 203.0.113.9 is not one of Plaid's webhook addresses (--only-plaid-ips)")
		}) {
			t.Errorf("refusals listed: %q", refused)
		}
		// The phone is not Plaid: /complete must still work for it.
		resp, err := http.Get(r.CompleteURL(base + "/complete"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("/complete with --only-plaid-ips: %d", resp.StatusCode)
		}
		nextEvent(t, r, EventComplete)
	})

	t.Run("listener reachable directly", func(t *testing.T) {
		// Without ngrok in front, X-Forwarded-For is whatever the sender wrote: not believed.
		r := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), AllowWebhookFrom: plaid})
		base := serve(t, r)
		if st := send(t, base, "52.21.26.131"); st != 403 {
			t.Fatalf("spoofed X-Forwarded-For on a direct listener: %d, want 403", st)
		}
		loop := NewReceiver(ReceiverConfig{Verifier: NewVerifier(kr), AllowWebhookFrom: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		if st := send(t, serve(t, loop)); st != 200 {
			t.Fatalf("an allowed connection address: %d, want 200", st)
		}
	})
}

// TestAttemptsCountRetries: a delivery Plaid re-sends (same session, new bytes) is numbered by its
// arrivals, so the inspector can say "attempt 3" instead of showing an unexplained duplicate.
func TestAttemptsCountRetries(t *testing.T) {
	r := NewReceiver(ReceiverConfig{})
	base := serve(t, r)
	body := `{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","link_session_id":"s1","status":"SUCCESS","public_tokens":["p1"]}`
	for want := 1; want <= 3; want++ {
		post(t, base+"/webhook", "application/json", "", []byte(body))
		ev := nextEvent(t, r)
		if ev.Attempt != want || ev.Duplicate != (want > 1) {
			t.Errorf("arrival %d: attempt=%d duplicate=%v", want, ev.Attempt, ev.Duplicate)
		}
	}
	post(t, base+"/webhook", "application/json", "", []byte(strings.Replace(body, "s1", "s2", 1)))
	if ev := nextEvent(t, r); ev.Attempt != 1 || ev.Duplicate {
		t.Errorf("another session: attempt=%d duplicate=%v, want 1 and new", ev.Attempt, ev.Duplicate)
	}
}
