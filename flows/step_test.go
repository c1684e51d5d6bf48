package flows

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

var m0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// at is m0 plus d: inputs carry the injected clock.
func at(d time.Duration) time.Time { return m0.Add(d) }

const (
	mTok  = "link-sandbox-m1"
	mHook = "http://127.0.0.1:1/webhook"
	mURL  = "http://127.0.0.1:2/hosted-link/x"
	mPub  = "public-sandbox-m1"
)

func mToken(webhook string) LinkToken {
	return LinkToken{Token: mTok, HostedLinkURL: mURL, Webhook: webhook, Expiration: at(4 * time.Hour)}
}

func finishedHook(seq int64, verified bool, status string, toks ...string) webhook.Event {
	return webhook.Event{Kind: webhook.EventWebhook, Seq: seq, Verified: verified, Reason: map[bool]string{false: "bad signature"}[verified],
		Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "SESSION_FINISHED", LinkToken: mTok, LinkSessionID: "s-new",
			Status: status, PublicTokens: toks}}
}

func eventsHook(seq int64, names ...string) webhook.Event {
	var evs []string
	for _, n := range names {
		evs = append(evs, `{"event_name":"`+n+`","event_metadata":{"error_code":"INSTITUTION_DOWN"}}`)
	}
	body := `{"webhook_type":"LINK","webhook_code":"EVENTS","link_token":"` + mTok + `","events":[` + strings.Join(evs, ",") + `]}`
	return webhook.Event{Kind: webhook.EventWebhook, Seq: seq, Verified: true, Body: []byte(body),
		Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "EVENTS", LinkToken: mTok}}
}

func polledWith(s ...Session) Polled { return Polled{Token: mTok, Status: TokenStatus{Sessions: s}} }

// summary names a step's events and effects briefly, for tables: "events | effects".
func summary(evs []Event, effs []Effect) string {
	var e, a []string
	for _, ev := range evs {
		switch f := ev.Fact.(type) {
		case Failed:
			e = append(e, "failed:"+f.Step)
		case Done:
			e = append(e, fmt.Sprintf("done:%v", f.Passed))
		default:
			name := fmt.Sprintf("%T", f)
			e = append(e, strings.ToLower(strings.TrimPrefix(name, "flows.")))
		}
	}
	for _, eff := range effs {
		switch f := eff.(type) {
		case CreateToken:
			a = append(a, fmt.Sprintf("create:webhook=%v", f.Webhook))
		case PollToken:
			a = append(a, "poll")
		case Schedule:
			a = append(a, fmt.Sprintf("schedule:%s:%s", f.Timer, f.After))
		case ExchangeToken:
			a = append(a, "exchange:"+f.PublicToken)
		case Walk:
			a = append(a, fmt.Sprintf("walk:recovery=%v", f.Recovery))
		case RestoreBank:
			a = append(a, "restore")
		}
	}
	return strings.Join(e, ",") + " | " + strings.Join(a, ",")
}

// run is a scenario's run in a test: its token was made at m0.
type run struct {
	t *testing.T
	s State
}

func newRun(t *testing.T, sc Scenario, o Options) *run {
	t.Helper()
	if o.Mode == "" {
		o.Mode = ModeSandbox
	}
	r := &run{t: t, s: New(sc, o)}
	r.step(0, TunnelUp{WebhookURL: mHook, Provider: "local"})
	r.step(0, Start{})
	r.step(0, TokenCreated{Token: mToken(mHook)})
	return r
}

// step feeds in at m0+d and summarises what it gave.
func (r *run) step(d time.Duration, in Input) string {
	var effs []Effect
	var evs []Event
	r.s, effs, evs = Step(r.s, at(d), in)
	return summary(evs, effs)
}

type timed struct {
	after time.Duration // since the token was made
	in    Input
}

// stepCase is a run's inputs after its token (made at m0) and what the last one must give.
type stepCase struct {
	name   string
	sc     Scenario
	giveUp bool
	steps  []timed
	want   string
}

// TestStepTable feeds each case's inputs to a run that has its token and compares what the last
// input gave.
func TestStepTable(t *testing.T) {
	noAnswer := &CallError{Endpoint: "/link/token/get", Cause: "cannot reach Plaid", Next: "check your network"}
	success := Session{ID: "s", Finished: true, Status: "SUCCESS", PublicTokens: []string{mPub}}
	runStepCases(t, []stepCase{
		{"slow person: poll unfinished at 6s starts no clock", SessionScenario{}, true,
			[]timed{{6 * time.Second, polledWith(Session{ID: "s", Finished: false})}},
			" | schedule:poll:2s"},
		{"the clock starts when /link/token/get shows the finish", SessionScenario{}, true,
			[]timed{{6 * time.Second, polledWith(success)}},
			" | schedule:webhook:3s,schedule:poll:2s"},
		{"a verified SESSION_FINISHED exchanges", SessionScenario{}, true,
			[]timed{{6 * time.Second, Received{finishedHook(1, true, "SUCCESS", mPub)}}},
			"webhookseen | exchange:" + mPub},
		{"an unverified one does not", SessionScenario{}, true,
			[]timed{{6 * time.Second, Received{finishedHook(1, false, "SUCCESS", mPub)}}},
			"webhookseen | "},
		{"the exchange passes the half", SessionScenario{}, true,
			[]timed{{1 * time.Second, Received{finishedHook(1, true, "SUCCESS", mPub)}}, {2 * time.Second, Exchanged{Item{ItemID: "i"}}}},
			"itemexchanged,done:true | "},
		{"the webhook clock runs out: fall back to the polled token", SessionScenario{}, true,
			[]timed{{6 * time.Second, polledWith(success)}, {9 * time.Second, DeadlinePassed{TimerWebhook, mTok}}},
			"fellback | exchange:" + mPub},
		{"an exchange after the fallback fails the half", SessionScenario{}, true,
			[]timed{{6 * time.Second, polledWith(success)}, {9 * time.Second, DeadlinePassed{TimerWebhook, mTok}},
				{10 * time.Second, Exchanged{Item{ItemID: "i"}}}},
			"itemexchanged,done:false | "},
		{"a stale deadline is ignored", SessionScenario{}, true,
			[]timed{{9 * time.Second, DeadlinePassed{TimerWebhook, "link-old"}}},
			" | "},
		{"finished with neither results nor exit is in progress", SessionScenario{}, true,
			[]timed{{6 * time.Second, polledWith(Session{ID: "s", Finished: true})}},
			" | schedule:poll:2s"},
		{"an exit fails a headless half", SessionScenario{}, true,
			[]timed{{6 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED", ExitCode: "INSTITUTION_DOWN"})}},
			"failed:session,done:false | schedule:webhook:3s"},
		{"the TUI shows an exit and goes on", SessionScenario{}, false,
			[]timed{{6 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED"})}},
			" | schedule:webhook:3s,schedule:poll:2s"},
		{"a verified EXITED SESSION_FINISHED is the person leaving", SessionScenario{}, false,
			[]timed{{6 * time.Second, Received{finishedHook(1, true, "EXITED")}}},
			"webhookseen,leftlink | "},
		{"another token's webhook is only recorded", SessionScenario{}, true,
			[]timed{{1 * time.Second, Received{webhook.Event{Kind: webhook.EventWebhook, Seq: 1, Verified: true,
				Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "SESSION_FINISHED", LinkToken: "link-other", PublicTokens: []string{mPub}}}}}},
			"webhookseen | "},
		{"no answer for a while is a blip", SessionScenario{}, true,
			[]timed{{1 * time.Second, CallFailed{CallPoll, noAnswer}}, {20 * time.Second, CallFailed{CallPoll, noAnswer}}},
			" | schedule:poll:2s"},
		{"no answer for the grace ends the run", SessionScenario{}, true,
			[]timed{{1 * time.Second, CallFailed{CallPoll, noAnswer}}, {20 * time.Second, CallFailed{CallPoll, noAnswer}},
				{31 * time.Second, CallFailed{CallPoll, noAnswer}}},
			"gaveup,done:false | "},
		{"an answer resets the grace", SessionScenario{}, true,
			[]timed{{1 * time.Second, CallFailed{CallPoll, noAnswer}}, {20 * time.Second, polledWith()},
				{31 * time.Second, CallFailed{CallPoll, noAnswer}}},
			"failed:link_token_get | schedule:poll:2s"},
		{"sign-up: the outage from a session's exit error", SignupScenario{}, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", ExitCode: "INSTITUTION_NOT_RESPONDING"})}},
			"signupprogressed | schedule:poll:2s"},
		{"sign-up: the SELECT_DOWN_INSTITUTION event", SignupScenario{}, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Events: []LinkEvent{{Name: "SELECT_DOWN_INSTITUTION"}}})}},
			"signupprogressed | schedule:poll:2s"},
		{"sign-up: an EXIT event with the outage code", SignupScenario{}, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Events: []LinkEvent{{Name: "EXIT", ErrorCode: "INSTITUTION_DOWN"}}})}},
			"signupprogressed | schedule:poll:2s"},
		{"sign-up: sessions ended short wait for late EVENTS", SignupScenario{}, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED"})}},
			"waitingforevents | schedule:events:1m0s,schedule:poll:2s"},
		{"sign-up: the wait says how long is left", SignupScenario{}, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED"})},
				{61 * time.Second, DeadlinePassed{TimerEvents, mTok}}},
			"waitingforevents | schedule:events:1m0s"},
		{"sign-up: the wait is bounded", SignupScenario{}, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED"})},
				{1*time.Second + DefaultEventsWait, DeadlinePassed{TimerEvents, mTok}}},
			"failed:session,done:false | "},
		{"sign-up: late EVENTS end the wait", SignupScenario{}, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED"})},
				{5 * time.Minute, polledWith(Session{ID: "s", Finished: true, Status: "EXITED", Events: []LinkEvent{{Name: "ERROR", ErrorCode: "INSTITUTION_DOWN"}, {Name: "ISSUE_FOLLOWED"}}})}},
			"signupprogressed,done:true | "},
		{"sign-up: a session with an Item fails at once", SignupScenario{}, true,
			[]timed{{1 * time.Second, polledWith(success)}},
			"failed:session,done:false | "},
	})
}

func runStepCases(t *testing.T, cases []stepCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRun(t, c.sc, Options{WebhookTimeout: 3 * time.Second, GiveUp: c.giveUp})
			var last string
			for _, s := range c.steps {
				// A poll's answer follows its tick, as with a real driver.
				if cf, ok := s.in.(CallFailed); ok && cf.Call == CallPoll {
					r.step(s.after, DeadlinePassed{TimerPoll, mTok})
				}
				if _, ok := s.in.(Polled); ok {
					r.step(s.after, DeadlinePassed{TimerPoll, mTok})
				}
				last = r.step(s.after, s.in)
			}
			if last != c.want {
				t.Errorf("got  %s\nwant %s", last, c.want)
			}
		})
	}
}

// The start of a run: the token waits for the tunnel, and a failed tunnel either ends a headless
// run or makes a token without a webhook for the TUI.
func TestStepStart(t *testing.T) {
	tunnelErr := errors.New("no network")
	for _, c := range []struct {
		name   string
		giveUp bool
		tunnel Input
		want   string
	}{
		{"tunnel up", true, TunnelUp{WebhookURL: mHook}, "ready | create:webhook=true"},
		{"tunnel down, headless", true, TunnelDown{Err: tunnelErr}, "failed:tunnel,done:false | "},
		{"tunnel down, TUI", false, TunnelDown{Err: tunnelErr}, "failed:tunnel,ready | create:webhook=false"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := New(SessionScenario{}, Options{Mode: ModeSandbox, GiveUp: c.giveUp})
			s, effs, evs := Step(s, m0, Start{})
			if len(effs)+len(evs) != 0 || s.Phase != PhaseAwaitTunnel {
				t.Fatalf("a token before the tunnel settled: %s (%s)", summary(evs, effs), s.Phase)
			}
			_, effs, evs = Step(s, m0, c.tunnel)
			if g := summary(evs, effs); g != c.want {
				t.Errorf("got %s, want %s", g, c.want)
			}
		})
	}
}

// Step leaves the state it was given as it was: stepping the same state twice gives the same run.
func TestStepIsAValue(t *testing.T) {
	r := newRun(t, SignupScenario{}, Options{Mode: ModeDemo, CanRestore: true})
	r.step(time.Second, Received{eventsHook(1, "ERROR", "ISSUE_FOLLOWED")})
	before := r.s
	snapshot := fmt.Sprintf("%+v", before)
	mail := Email{ID: "m", URL: "http://x/hosted-link/r", LinkToken: mTok}
	r.step(2*time.Second, Intent{IntentRestore})
	a, _, _ := Step(r.s, at(3*time.Second), Restored{Sent: []Email{mail}, Inbox: []Email{mail}})
	b, _, _ := Step(r.s, at(3*time.Second), Restored{Sent: []Email{mail}, Inbox: []Email{mail}})
	if fmt.Sprintf("%+v", before) != snapshot {
		t.Fatal("stepping changed an earlier state")
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same input on the same state gave two runs")
	}
	if ss, _ := SignupOf(a); !ss.Restored || a.Wait.Token != mTok || !a.Wait.QuietExits {
		t.Fatalf("after the restore: %+v %+v", ss, a.Wait)
	}
}

// The wait for the recovery session ends when the person leaves it: its EXITED SESSION_FINISHED is
// not the sign-up session's own (which is known from before the restore, and stays quiet).
func TestSignupRecoveryExitEndsTheWait(t *testing.T) {
	r := newRun(t, SignupScenario{}, Options{Mode: ModeDemo, CanRestore: true})
	r.step(time.Second, polledWith(Session{ID: "s-signup", Finished: true, Status: "EXITED",
		Events: []LinkEvent{{Name: "ERROR", ErrorCode: "INSTITUTION_DOWN"}, {Name: "ISSUE_FOLLOWED"}}}))
	r.step(2*time.Second, Intent{IntentRestore})
	mail := Email{ID: "m", URL: "http://x/hosted-link/r", LinkToken: mTok}
	r.step(3*time.Second, Restored{Sent: []Email{mail}, Inbox: []Email{mail}})
	quiet := finishedHook(4, true, "EXITED")
	quiet.Webhook.LinkSessionID = "s-signup"
	if got := r.step(4*time.Second, Received{quiet}); got != "webhookseen | " || !r.s.Wait.Waiting() {
		t.Fatalf("the sign-up session's own late EXITED: %s, waiting %v", got, r.s.Wait.Waiting())
	}
	if got := r.step(5*time.Second, Received{finishedHook(5, true, "EXITED")}); got != "webhookseen,leftlink | " {
		t.Fatalf("the recovery session's EXITED: %s", got)
	}
	if r.s.Wait.Waiting() || !r.s.Wait.Left || r.s.Wait.WebhookSeq != 5 {
		t.Fatalf("the wait goes on after the person left: %+v", r.s.Wait)
	}
}

// Issue 15 item 5: Plaid answering every /link/token/get with a server error (or 429) must not keep
// a headless run alive: every answered error used to reset the no-answer grace, so it never ended.
func TestServerErrorsForeverEndTheRun(t *testing.T) {
	for _, pe := range []*PlaidError{
		{HTTPStatus: 500, Type: "API_ERROR", Code: "INTERNAL_SERVER_ERROR", Message: "boom", Endpoint: "/link/token/get", RequestID: "r1"},
		{HTTPStatus: 429, Type: "RATE_LIMIT_EXCEEDED", Code: "RATE_LIMIT_EXCEEDED", Message: "slow down", Endpoint: "/link/token/get", RequestID: "r2"},
	} {
		t.Run(pe.Code, func(t *testing.T) {
			r := newRun(t, SessionScenario{}, Options{GiveUp: true})
			var d time.Duration
			for d = time.Second; d < 10*time.Minute && !r.s.Done(); d += 10 * time.Second {
				r.step(d, DeadlinePassed{TimerPoll, mTok})
				r.step(d, CallFailed{CallPoll, pe})
			}
			if !r.s.Done() || r.s.Outcome.Passed {
				t.Fatalf("after %s of server errors the run is %s", d, r.s.Phase)
			}
			if d > DefaultServerErrorGrace+30*time.Second {
				t.Errorf("ended after %s, want about %s", d, DefaultServerErrorGrace)
			}
			rec := RecordOf(Event{At: m0, Scenario: "session", Half: 2, Fact: Done{Cause: r.s.Outcome.Cause}})
			if reason := fmt.Sprint(rec["reason"]); !strings.Contains(reason, pe.Code) || !strings.Contains(reason, "giving up") || rec["hint"] == nil {
				t.Errorf("done = %v, want the last error and the next step", rec)
			}
		})
	}
	// 429 keeps its backoff: the next poll waits longer after each rate limit.
	r := newRun(t, SessionScenario{}, Options{GiveUp: true})
	rate := &PlaidError{HTTPStatus: 429, Code: "RATE_LIMIT_EXCEEDED", Endpoint: "/link/token/get"}
	var waits []string
	for i := 0; i < 3; i++ {
		r.step(time.Duration(i)*time.Second, DeadlinePassed{TimerPoll, mTok})
		waits = append(waits, r.step(time.Duration(i)*time.Second, CallFailed{CallPoll, rate}))
	}
	if got := strings.Join(waits, "; "); !strings.Contains(got, "schedule:poll:4s") || !strings.Contains(got, "schedule:poll:16s") {
		t.Errorf("no backoff on 429: %s", got)
	}
}

// Records carry the input's time, and the sign-up's give-up names both credential pairs.
func TestRecordsTimeAndCredentials(t *testing.T) {
	r := newRun(t, SignupScenario{}, Options{GiveUp: true, EventsWait: time.Minute})
	r.step(0, polledWith(Session{ID: "s", Finished: true, Status: "EXITED"}))
	s, _, evs := Step(r.s, at(2*time.Minute), DeadlinePassed{TimerEvents, mTok})
	var msg string
	for _, ev := range evs {
		if rec := RecordOf(ev); rec["event"] == "error" {
			msg = fmt.Sprint(rec["message"])
			if rec["time"] != at(2*time.Minute).Format(time.RFC3339Nano) {
				t.Errorf("time = %v", rec["time"])
			}
		}
	}
	for _, want := range []string{"user_good / error_INSTITUTION_DOWN", "user_link_recovery / {}", "not in the Link Recovery beta"} {
		if !strings.Contains(msg, want) {
			t.Errorf("give-up message %q lacks %q", msg, want)
		}
	}
	if !s.Done() || s.Outcome.Passed {
		t.Errorf("outcome %+v", s.Outcome)
	}
}

// A poll asked for at once (the sign-up walk returned) while the next tick is scheduled does not
// start a second poll chain: the tick finds the poll in flight, and only its answer schedules again.
func TestOnePollChain(t *testing.T) {
	r := newRun(t, SignupScenario{}, Options{Mode: ModeDemo, Auto: true, GiveUp: true})
	if got := r.step(time.Second, Walked{}); !strings.Contains(got, "| poll") {
		t.Fatalf("the walk's end: %s, want one poll", got)
	}
	if got := r.step(2*time.Second, DeadlinePassed{TimerPoll, mTok}); got != " | " {
		t.Fatalf("the tick during a poll in flight: %s, want nothing", got)
	}
	if got := r.step(3*time.Second, Polled{Token: mTok}); got != " | schedule:poll:250ms" {
		t.Fatalf("the answer: %s, want one tick", got)
	}
}

// After the reported opt-in the sign-up session is over: a walk is refused and the restore is the
// next step; an opt-in only ticked by hand may not have happened, so a walk still may.
func TestSignupWalkAndRestoreAfterOptIn(t *testing.T) {
	r := newRun(t, SignupScenario{}, Options{Mode: ModeDemo, CanRestore: true})
	if !r.s.CanWalk() || CanRestore(r.s) {
		t.Fatalf("before the opt-in: walk=%v restore=%v", r.s.CanWalk(), CanRestore(r.s))
	}
	r.step(time.Second, Received{eventsHook(1, "ERROR", "ISSUE_FOLLOWED")})
	if r.s.CanWalk() || !CanRestore(r.s) {
		t.Fatalf("after the opt-in: walk=%v restore=%v", r.s.CanWalk(), CanRestore(r.s))
	}
	if got := r.step(2*time.Second, Intent{IntentWalk}); strings.Contains(got, "walk") {
		t.Fatalf("a walk after the opt-in: %s", got)
	}
	h := newRun(t, SignupScenario{}, Options{Mode: ModeDemo, CanRestore: true})
	h.step(0, Intent{IntentMark})
	h.step(0, Intent{IntentMark})
	if ss, _ := SignupOf(h.s); !ss.Progress().OptedIn || !h.s.CanWalk() {
		t.Fatalf("opt-in by hand: %+v walk=%v", ss, h.s.CanWalk())
	}
}

// Timers, calls and phases print their names, so expectations do not depend on constant order.
func TestNamesPrint(t *testing.T) {
	for v, want := range map[fmt.Stringer]string{TimerPoll: "poll", TimerWebhook: "webhook", TimerEvents: "events",
		CallCreateToken: "link_token_create", CallWalk: "auto", PhaseLive: "live", FallbackTimeout: "timeout", IntentRestore: "restore"} {
		if got := v.String(); got != want {
			t.Errorf("%#v prints %q, want %q", v, got, want)
		}
	}
}

// Every scenario is listed once, by a unique name, and the halves are 1 and 2.
func TestScenarioList(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range Names() {
		if n == "" || seen[n] {
			t.Errorf("names %v: empty or twice", Names())
		}
		seen[n] = true
	}
	for h, want := range map[int]string{1: "signup", 2: "session"} {
		if sc, ok := ByHalf(h); !ok || sc.Info().Name != want {
			t.Errorf("half %d = %v", h, sc)
		}
	}
	if _, ok := ByHalf(0); ok {
		t.Error("half 0 names a scenario")
	}
	if err := ErrUnknownScenario("x"); !strings.Contains(err.Error(), strings.Join(Names(), ", ")) {
		t.Errorf("error %v does not name every scenario", err)
	}
}
