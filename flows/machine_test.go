package flows

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

var m0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// at is m0 plus d: inputs carry the injected clock.
func at(d time.Duration) time.Time { return m0.Add(d) }

// summary names an action briefly, for tables.
func summary(a Action) string {
	switch a := a.(type) {
	case Emit:
		s := "emit:" + fmt.Sprint(a.Record["event"])
		if st, ok := a.Record["step"]; ok {
			s += ":" + fmt.Sprint(st)
		}
		if p, ok := a.Record["passed"]; ok {
			s += fmt.Sprintf(":%v", p)
		}
		return s
	case CreateToken:
		return fmt.Sprintf("create:webhook=%v", a.Webhook)
	case PollToken:
		return "poll"
	case Schedule:
		return fmt.Sprintf("schedule:%d:%s", a.Timer, a.After)
	case ExchangeToken:
		return "exchange:" + a.PublicToken
	case CompleteSession:
		return fmt.Sprintf("auto:recovery=%v", a.Recovery)
	case RestoreBank:
		return "restore"
	case Finished:
		return fmt.Sprintf("finished:%v", a.Passed)
	}
	return fmt.Sprintf("%T", a)
}

const (
	mTok  = "link-sandbox-m1"
	mHook = "http://127.0.0.1:1/webhook"
	mURL  = "http://127.0.0.1:2/hosted-link/x"
	mPub  = "public-sandbox-m1"
)

func mToken(webhook string) LinkToken {
	return LinkToken{Token: mTok, HostedLinkURL: mURL, Webhook: webhook, Expiration: at(4 * time.Hour)}
}

func finishedHook(seq int64, verified bool, toks ...string) webhook.Event {
	return webhook.Event{Kind: webhook.EventWebhook, Seq: seq, Verified: verified, Reason: map[bool]string{false: "bad signature"}[verified],
		Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "SESSION_FINISHED", LinkToken: mTok, Status: "SUCCESS", PublicTokens: toks}}
}

func polledWith(s ...Session) Polled { return Polled{Token: mTok, Status: TokenStatus{Sessions: s}} }

// withAt stamps an input with a time.
func withAt(in Input, t time.Time) Input {
	switch in := in.(type) {
	case Polled:
		in.At = t
		return in
	case WebhookReceived:
		in.At = t
		return in
	case DeadlinePassed:
		in.At = t
		return in
	case CallFailed:
		in.At = t
		return in
	case Exchanged:
		in.At = t
		return in
	case Intent:
		in.At = t
		return in
	}
	return in
}

func isPolled(in Input) bool {
	_, ok := in.(Polled)
	return ok
}

type timed struct {
	after time.Duration // since the token was made
	in    Input
}

// TestMachineTable feeds each case's inputs to a machine that has its token (made at m0) and
// compares the actions of the last input.
func TestMachineTable(t *testing.T) {
	noAnswer := &CallError{Endpoint: "/link/token/get", Cause: "cannot reach Plaid", Next: "check your network"}
	cases := []struct {
		name   string
		half   Half
		giveUp bool
		steps  []timed
		want   string // the last input's actions
	}{
		{"slow person: poll unfinished at 6s starts no clock", HalfSession, true,
			[]timed{{6 * time.Second, polledWith(Session{ID: "s", Finished: false})}},
			"schedule:1:2s"},
		{"the clock starts when /link/token/get shows the finish", HalfSession, true,
			[]timed{{6 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "SUCCESS", PublicTokens: []string{mPub}})}},
			"schedule:2:3s,schedule:1:2s"},
		{"a verified SESSION_FINISHED exchanges", HalfSession, true,
			[]timed{{6 * time.Second, WebhookReceived{Event: finishedHook(1, true, mPub)}}},
			"emit:webhook,exchange:" + mPub},
		{"an unverified one does not", HalfSession, true,
			[]timed{{6 * time.Second, WebhookReceived{Event: finishedHook(1, false, mPub)}}},
			"emit:webhook"},
		{"the exchange passes the half", HalfSession, true,
			[]timed{{1 * time.Second, WebhookReceived{Event: finishedHook(1, true, mPub)}}, {2 * time.Second, Exchanged{Item: Item{ItemID: "i"}}}},
			"emit:public_token_exchanged,emit:done:true,finished:true"},
		{"the webhook clock runs out: fall back to the polled token", HalfSession, true,
			[]timed{{6 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "SUCCESS", PublicTokens: []string{mPub}})},
				{9 * time.Second, DeadlinePassed{Timer: TimerWebhook, Token: mTok}}},
			"emit:error:webhook,exchange:" + mPub},
		{"an exchange after the fallback fails the half", HalfSession, true,
			[]timed{{6 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "SUCCESS", PublicTokens: []string{mPub}})},
				{9 * time.Second, DeadlinePassed{Timer: TimerWebhook, Token: mTok}}, {10 * time.Second, Exchanged{Item: Item{ItemID: "i"}}}},
			"emit:public_token_exchanged,emit:done:false,finished:false"},
		{"a stale deadline is ignored", HalfSession, true,
			[]timed{{9 * time.Second, DeadlinePassed{Timer: TimerWebhook, Token: "link-old"}}},
			""},
		{"finished with neither results nor exit is in progress", HalfSession, true,
			[]timed{{6 * time.Second, polledWith(Session{ID: "s", Finished: true})}},
			"schedule:1:2s"},
		{"an exit fails a headless half", HalfSession, true,
			[]timed{{6 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED", ExitCode: "INSTITUTION_DOWN"})}},
			"emit:error:session,emit:done:false,finished:false"},
		{"the TUI shows an exit and goes on", HalfSession, false,
			[]timed{{6 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED"})}},
			"schedule:1:2s"},
		{"another token's webhook is only recorded", HalfSession, true,
			[]timed{{1 * time.Second, WebhookReceived{Event: webhook.Event{Kind: webhook.EventWebhook, Seq: 1, Verified: true,
				Webhook: &webhook.Webhook{WebhookType: "LINK", WebhookCode: "SESSION_FINISHED", LinkToken: "link-other", PublicTokens: []string{mPub}}}}}},
			"emit:webhook"},
		{"no answer for a while is a blip", HalfSession, true,
			[]timed{{1 * time.Second, CallFailed{Call: CallPoll, Err: noAnswer}}, {20 * time.Second, CallFailed{Call: CallPoll, Err: noAnswer}}},
			"schedule:1:2s"},
		{"no answer for the grace ends the run", HalfSession, true,
			[]timed{{1 * time.Second, CallFailed{Call: CallPoll, Err: noAnswer}}, {20 * time.Second, CallFailed{Call: CallPoll, Err: noAnswer}},
				{31 * time.Second, CallFailed{Call: CallPoll, Err: noAnswer}}},
			"emit:error:transport,emit:done:false,finished:false"},
		{"an answer resets the grace", HalfSession, true,
			[]timed{{1 * time.Second, CallFailed{Call: CallPoll, Err: noAnswer}}, {20 * time.Second, polledWith()},
				{31 * time.Second, CallFailed{Call: CallPoll, Err: noAnswer}}},
			"emit:error:link_token_get,schedule:1:2s"},
		{"sign-up: the outage from a session's exit error", HalfSignup, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", ExitCode: "INSTITUTION_NOT_RESPONDING"})}},
			"emit:progress,schedule:1:2s"},
		{"sign-up: the SELECT_DOWN_INSTITUTION event", HalfSignup, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Events: []LinkEvent{{Name: "SELECT_DOWN_INSTITUTION"}}})}},
			"emit:progress,schedule:1:2s"},
		{"sign-up: an EXIT event with the outage code", HalfSignup, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Events: []LinkEvent{{Name: "EXIT", ErrorCode: "INSTITUTION_DOWN"}}})}},
			"emit:progress,schedule:1:2s"},
		{"sign-up: sessions ended short wait for late EVENTS", HalfSignup, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED"})}},
			"emit:waiting,schedule:3:1m0s,schedule:1:2s"},
		{"sign-up: the wait says how long is left", HalfSignup, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED"})},
				{61 * time.Second, DeadlinePassed{Timer: TimerEvents, Token: mTok}}},
			"emit:waiting,schedule:3:1m0s"},
		{"sign-up: the wait is bounded", HalfSignup, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED"})},
				{1*time.Second + DefaultEventsWait, DeadlinePassed{Timer: TimerEvents, Token: mTok}}},
			"emit:error:session,emit:done:false,finished:false"},
		{"sign-up: late EVENTS end the wait", HalfSignup, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "EXITED"})},
				{5 * time.Minute, polledWith(Session{ID: "s", Finished: true, Status: "EXITED", Events: []LinkEvent{{Name: "ERROR", ErrorCode: "INSTITUTION_DOWN"}, {Name: "ISSUE_FOLLOWED"}}})}},
			"emit:progress,emit:done:true,finished:true"},
		{"sign-up: a session with an Item fails at once", HalfSignup, true,
			[]timed{{1 * time.Second, polledWith(Session{ID: "s", Finished: true, Status: "SUCCESS", PublicTokens: []string{mPub}})}},
			"emit:error:session,emit:done:false,finished:false"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, _ := ScenarioFor(c.half)
			m := NewMachine(sc, MachineOptions{Mode: ModeSandbox, WebhookTimeout: 3 * time.Second, GiveUp: c.giveUp})
			m.Step(TunnelUp{At: m0, WebhookURL: mHook, Provider: tunnel.ProviderLocal})
			m.Step(Start{At: m0})
			m.Step(TokenCreated{At: m0, Token: mToken(mHook)})
			var last []Action
			for _, s := range c.steps {
				// A poll's answer follows its tick, as with a real driver.
				if cf, ok := s.in.(CallFailed); ok && cf.Call == CallPoll || isPolled(s.in) {
					m.Step(DeadlinePassed{At: at(s.after), Timer: TimerPoll, Token: mTok})
				}
				last = m.Step(withAt(s.in, at(s.after)))
			}
			var got []string
			for _, a := range last {
				got = append(got, summary(a))
			}
			if g := strings.Join(got, ","); g != c.want {
				t.Errorf("actions = %s\n   want   %s", g, c.want)
			}
		})
	}
}

// The start of a half: the token waits for the tunnel, and a failed tunnel either ends a
// headless half or makes a token without a webhook for the TUI.
func TestMachineStart(t *testing.T) {
	tunnelErr := &tunnel.Error{Provider: tunnel.ProviderNgrok, Cause: "no network", Next: "check it"}
	for _, c := range []struct {
		name   string
		giveUp bool
		tunnel Input
		want   string
	}{
		{"tunnel up", true, TunnelUp{At: m0, WebhookURL: mHook}, "emit:ready,create:webhook=true"},
		{"tunnel down, headless", true, TunnelDown{At: m0, Err: tunnelErr}, "emit:error:tunnel,emit:done:false,finished:false"},
		{"tunnel down, TUI", false, TunnelDown{At: m0, Err: tunnelErr}, "emit:error:tunnel,emit:ready,create:webhook=false"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := NewMachine(SessionScenario{}, MachineOptions{Mode: ModeSandbox, GiveUp: c.giveUp})
			if acts := m.Step(Start{At: m0}); len(acts) != 0 {
				t.Fatalf("a token before the tunnel settled: %v", acts)
			}
			var got []string
			for _, a := range m.Step(c.tunnel) {
				got = append(got, summary(a))
			}
			if g := strings.Join(got, ","); g != c.want {
				t.Errorf("actions = %s, want %s", g, c.want)
			}
		})
	}
}

// Records carry the input's time, and the sign-up's give-up names both credential pairs.
func TestMachineRecordsTimeAndCredentials(t *testing.T) {
	m := NewMachine(SignupScenario{}, MachineOptions{Mode: ModeSandbox, GiveUp: true, EventsWait: time.Minute})
	m.Step(TunnelUp{At: m0, WebhookURL: mHook})
	m.Step(Start{At: m0})
	m.Step(TokenCreated{At: m0, Token: mToken(mHook)})
	m.Step(withAt(polledWith(Session{ID: "s", Finished: true, Status: "EXITED"}), m0))
	acts := m.Step(DeadlinePassed{At: at(2 * time.Minute), Timer: TimerEvents, Token: mTok})
	var msg string
	for _, a := range acts {
		if e, ok := a.(Emit); ok && e.Record["event"] == "error" {
			msg = fmt.Sprint(e.Record["message"])
			if e.Record["time"] != at(2*time.Minute).Format(time.RFC3339Nano) {
				t.Errorf("time = %v", e.Record["time"])
			}
		}
	}
	for _, want := range []string{"user_good / error_INSTITUTION_DOWN", "user_link_recovery / {}", "not in the Link Recovery beta"} {
		if !strings.Contains(msg, want) {
			t.Errorf("give-up message %q lacks %q", msg, want)
		}
	}
	if !m.Done || m.Passed {
		t.Errorf("done=%v passed=%v", m.Done, m.Passed)
	}
}

// A poll asked for at once (the sign-up walk returned) while the next tick is scheduled does not
// start a second poll chain: the tick finds the poll in flight, and only its answer schedules again.
func TestMachineOnePollChain(t *testing.T) {
	m := NewMachine(SignupScenario{}, MachineOptions{Mode: ModeDemo, GiveUp: true})
	m.Step(TunnelUp{At: m0, WebhookURL: mHook})
	m.Step(Start{At: m0})
	m.Step(TokenCreated{At: m0, Token: mToken(mHook)}) // schedules the first tick
	count := func(acts []Action) (polls, ticks int) {
		for _, a := range acts {
			switch a := a.(type) {
			case PollToken:
				polls++
			case Schedule:
				if a.Timer == TimerPoll {
					ticks++
				}
			}
		}
		return
	}
	if p, _ := count(m.Step(AutoCompleted{At: at(time.Second)})); p != 1 {
		t.Fatalf("the walk's end asked for %d polls, want 1", p)
	}
	if p, k := count(m.Step(DeadlinePassed{At: at(2 * time.Second), Timer: TimerPoll, Token: mTok})); p != 0 || k != 0 {
		t.Fatalf("the tick during a poll in flight gave %d polls and %d ticks, want none", p, k)
	}
	if p, k := count(m.Step(Polled{At: at(3 * time.Second), Token: mTok})); p != 0 || k != 1 {
		t.Fatalf("the answer gave %d polls and %d ticks, want one tick", p, k)
	}
}
