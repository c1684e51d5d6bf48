package tui

import (
	"bytes"
	"encoding/base64"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/testkit"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

// testWait bounds every wait on a condition in this package's tests (a Cmd's message, text on the
// screen, a program's exit). It is generous because the machine is shared and -race is slow; a wait
// ends as soon as its condition holds, so it costs nothing when things are fast.
const testWait = testkit.Wait

// collect runs cmd (and the Cmds of any batch or sequence inside it) and returns the messages they
// produce, until one satisfies until (nil: none does), every Cmd has returned, or testWait passes.
// Ticks that outlast that (polling, the webhook timeout) are left running.
func collect(cmd tea.Cmd, until func(tea.Msg) bool) []tea.Msg {
	out := make(chan tea.Msg, 64)
	var wg sync.WaitGroup
	var run func(c tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := c()
			if b, ok := msg.(tea.BatchMsg); ok {
				for _, cc := range b {
					run(cc)
				}
				return
			}
			// tea.Sequence's message is an unexported []tea.Cmd: run its Cmds in order.
			if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
				for i := 0; i < v.Len(); i++ {
					if cc := v.Index(i).Interface().(tea.Cmd); cc != nil {
						out <- cc()
					}
				}
				return
			}
			out <- msg
		}()
	}
	run(cmd)
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	var msgs []tea.Msg
	deadline := time.NewTimer(testWait)
	defer deadline.Stop()
	for {
		select {
		case m := <-out:
			msgs = append(msgs, m)
			if until != nil && until(m) {
				return msgs
			}
		case <-allDone:
			for {
				select {
				case m := <-out:
					msgs = append(msgs, m)
				default:
					return msgs
				}
			}
		case <-deadline.C:
			return msgs
		}
	}
}

// await runs cmd as collect does and returns its first message of type T; false when every Cmd
// returned (or testWait passed) without one.
func await[T any](cmd tea.Cmd) (T, bool) {
	return find[T](collect(cmd, func(m tea.Msg) bool { _, ok := m.(T); return ok }))
}

// awaitFailed runs cmd until a run's call fails (no Env: every call does) and returns the failure.
func awaitFailed(cmd tea.Cmd) (flows.CallFailed, bool) {
	for _, m := range collect(cmd, func(m tea.Msg) bool {
		r, ok := m.(resultMsg)
		_, failed := r.in.(flows.CallFailed)
		return ok && failed
	}) {
		if r, ok := m.(resultMsg); ok {
			if f, ok := r.in.(flows.CallFailed); ok {
				return f, true
			}
		}
	}
	return flows.CallFailed{}, false
}

// find returns the first message of type T.
func find[T any](msgs []tea.Msg) (T, bool) {
	for _, m := range msgs {
		if t, ok := m.(T); ok {
			return t, true
		}
	}
	var zero T
	return zero, false
}

func TestHomeKeysOpenHalves(t *testing.T) {
	for _, tc := range []struct {
		keys  []string
		state state
		name  string
	}{
		{[]string{"1"}, stateOf(nSignup), nSignup},
		{[]string{"2"}, stateOf(nSession), nSession},
		{[]string{"enter"}, stateOf(nSignup), nSignup},
		{[]string{"down", "enter"}, stateOf(nSession), nSession},
		{[]string{"j", "k", "enter"}, stateOf(nSignup), nSignup},
	} {
		t.Run(strings.Join(tc.keys, "+"), func(t *testing.T) {
			f := newFixture(t, true, 100, 30)
			f.tunnelUp()
			var cmd tea.Cmd
			for _, k := range tc.keys {
				cmd = f.key(k)
			}
			if f.m.state != tc.state {
				t.Fatalf("state = %v, want %v", f.m.state, tc.state)
			}
			// Without an Env the token Cmd fails, and says which call and run it was.
			r, ok := await[resultMsg](cmd)
			failed, _ := r.in.(flows.CallFailed)
			if !ok || r.scenario != tc.name || failed.Call != flows.CallCreateToken || !errors.Is(failed.Err, env.ErrNoEnv) {
				t.Fatalf("cmd gave %+v, want a failed /link/token/create for %s", r, tc.name)
			}
		})
	}
}

func TestTokenWaitsForTunnel(t *testing.T) {
	f := newFixture(t, true, 100, 30)
	if cmd := f.key("2"); cmd != nil {
		if _, ok := awaitFailed(cmd); ok {
			t.Fatal("token created before the tunnel settled: it would carry no webhook URL")
		}
	}
	if !f.session().starting() || f.session().st.Tunnel.Settled {
		t.Fatalf("creating=%v tunnel settled=%v, want the half waiting for the tunnel", f.session().starting(), f.session().st.Tunnel.Settled)
	}
	// A failed tunnel settles it too: polling still works without webhooks.
	cmd := f.send(tunnelMsg{in: flows.TunnelDown{Err: &tunnel.Error{Provider: tunnel.ProviderNgrok, Cause: "no network", Next: "check it"}}})
	if e, ok := awaitFailed(cmd); !ok || e.Call != flows.CallCreateToken {
		t.Fatalf("after the tunnel failed, got %+v; want the token Cmd to run", e)
	}
	v := f.m.View()
	for _, want := range []string{"tunnel: failed", "tunnel: no network", "→ check it"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}

func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		for _, size := range [][2]int{{100, 30}, {30, 10}} {
			f := newFixture(t, true, size[0], size[1])
			f.open(nSession)
			cmd := f.key(k)
			if cmd == nil {
				t.Fatalf("%s at %v: no Cmd", k, size)
			}
			if _, ok := cmd().(tea.QuitMsg); !ok {
				t.Fatalf("%s at %v: Cmd is not tea.Quit", k, size)
			}
			if f.m.c.ctx.Err() == nil {
				t.Fatalf("%s: running calls were not cancelled", k)
			}
		}
	}
}

func TestTinyTerminal(t *testing.T) {
	f := newFixture(t, true, 30, 10)
	if cmd := f.key("2"); cmd != nil || f.m.state != stateHome {
		t.Fatalf("a key other than q acted on the tiny screen (state %v)", f.m.state)
	}
	v := f.m.View()
	if !strings.Contains(v, "≥ 40×12 (now 30×10)") || !strings.Contains(v, "q quits") {
		t.Fatalf("tiny view:\n%s", v)
	}
	// Growing the window brings the real layout back.
	f.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	if v := f.m.View(); !strings.Contains(v, "Half 1 · Sign-up") {
		t.Fatalf("after resize:\n%s", v)
	}
}

func TestEscAndInspector(t *testing.T) {
	f := newFixture(t, true, 100, 30)
	f.open(nSession)
	for i := int64(1); i <= 3; i++ {
		f.send(webhookReceivedMsg{ev: eventsWebhook(i, fixedToken2, evInstitutionDown)})
	}
	f.key("w")
	if !f.m.showInspector {
		t.Fatal("w did not open the inspector")
	}
	if f.m.header.webhooks != 3 || f.m.inspector.items[0].Seq != 3 {
		t.Fatalf("inspector not newest first: count %d, first #%d", f.m.header.webhooks, f.m.inspector.items[0].Seq)
	}
	f.key("j")
	f.key("down")
	if f.m.inspector.sel != 2 {
		t.Fatalf("sel = %d after two downs, want 2", f.m.inspector.sel)
	}
	f.key("k")
	if f.m.inspector.sel != 1 {
		t.Fatalf("sel = %d after up, want 1", f.m.inspector.sel)
	}
	// A new webhook keeps the selection on the same event.
	f.send(webhookReceivedMsg{ev: eventsWebhook(4, fixedToken2, evIssueFollowed)})
	if got := f.m.inspector.items[f.m.inspector.sel].Seq; got != 2 {
		t.Fatalf("selection moved to #%d, want #2", got)
	}
	if v := f.m.View(); !strings.Contains(v, "pgdn") || strings.Contains(v, "copy") {
		t.Fatalf("inspector help is not the inspector's keys:\n%s", v)
	}
	f.key("esc")
	if f.m.showInspector || f.m.state != stateOf(nSession) {
		t.Fatal("esc did not close the inspector first")
	}
	f.key("esc")
	if f.m.state != stateHome {
		t.Fatalf("esc from a half: state %v, want home", f.m.state)
	}
}

func TestCopyCredential(t *testing.T) {
	f := newFixture(t, true, 100, 30)
	var clip bytes.Buffer
	f.m.clipboard, f.m.tmux = &clip, false // OSC 52, even when the tests run inside tmux
	f.open(nSignup)
	f.key("tab")
	f.key("tab")
	f.key("shift+tab")
	f.key("tab")
	if got, _ := f.signup().focused(f.signup().cards()); got.Value != "user_link_recovery" {
		t.Fatalf("focused %q, want user_link_recovery", got)
	}
	msg, ok := await[copiedMsg](f.key("c"))
	if !ok || msg.value != "user_link_recovery" {
		t.Fatalf("copy gave %+v", msg)
	}
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte("user_link_recovery")) + "\x07"
	if clip.String() != want {
		t.Fatalf("clipboard got %q, want %q", clip.String(), want)
	}
	f.send(msg)
	if v := f.m.View(); !strings.Contains(v, "Copied the fallback username") {
		t.Fatalf("no confirmation:\n%s", v)
	}
	// The session half has its own login: tab moves to the password, c copies it.
	f.key("esc")
	f.open(nSession)
	f.key("tab")
	if msg, ok := await[copiedMsg](f.key("c")); !ok || msg.value != "pass_good" {
		t.Fatalf("copy in the session half gave %+v", msg)
	}
}

// TestSessionHalfShowsItsCredentials: half 2 shows user_good / pass_good as cards in both modes,
// until the Item is in.
func TestSessionHalfShowsItsCredentials(t *testing.T) {
	for _, demo := range []bool{true, false} {
		f := newFixture(t, demo, 120, 40)
		f.open(nSession)
		v := f.m.View()
		if !strings.Contains(v, "Credentials (tab moves, c copies)") || !strings.Contains(v, "[user_good]") || !strings.Contains(v, " pass_good ") {
			t.Fatalf("demo=%v: no credential cards in half 2:\n%s", demo, v)
		}
		if !f.m.keys.Copy.Enabled() || !f.m.keys.NextCard.Enabled() {
			t.Fatalf("demo=%v: c and tab are off with the cards on screen", demo)
		}
		f.key("tab")
		if v := f.m.View(); !strings.Contains(v, "[pass_good]") {
			t.Fatalf("demo=%v: tab did not move the focus to the password:\n%s", demo, v)
		}
		f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
		f.send(exchanged(nSession, fixedItem()))
		if v := f.m.View(); strings.Contains(v, "pass_good") || f.m.keys.Copy.Enabled() {
			t.Fatalf("demo=%v: the cards (or c) stay after the Item:\n%s", demo, v)
		}
	}
}

func TestSignupProgressAndMark(t *testing.T) {
	f := newFixture(t, false, 100, 30)
	f.open(nSignup)
	// An EVENTS webhook for another link token, or an unverified one, ticks nothing.
	f.send(webhookReceivedMsg{ev: eventsWebhook(1, "link-sandbox-other", evInstitutionDown)})
	bad := eventsWebhook(2, fixedToken1, evInstitutionDown)
	bad.Verified = false
	f.send(webhookReceivedMsg{ev: bad})
	if p := f.signup().own().Progress(); p.InstitutionDown {
		t.Fatal("progress from a webhook that is not ours or not verified")
	}
	f.send(webhookReceivedMsg{ev: eventsWebhook(3, fixedToken1, evInstitutionDown)})
	if p := f.signup().own().Progress(); !p.InstitutionDown || p.OptedIn {
		t.Fatalf("progress %+v after the outage event", p)
	}
	// The real Sandbox may not report the opt-in: m ticks it by hand.
	f.key("m")
	if !f.signup().own().Progress().OptedIn {
		t.Fatal("m did not mark the opt-in")
	}
	if !f.signup().done() || f.m.keys.Mark.Enabled() {
		t.Fatal("sandbox sign-up is done after the opt-in, and m has nothing left to mark")
	}
	if v := f.m.View(); !strings.Contains(v, "Half 1 · Sign-up: passed") || !strings.Contains(v, "✎ Recovery opt-in done") {
		t.Fatalf("no summary, with the opt-in ticked by hand:\n%s", v)
	}
	f.key("esc")
	if !strings.Contains(f.m.View(), "Sign-up half done") {
		t.Fatal("no done message")
	}
	// Polling sees the same steps.
	g := newFixture(t, false, 100, 30)
	g.open(nSignup)
	g.send(polled(nSignup, fixedToken1, flows.TokenStatus{Sessions: []flows.Session{{
		Events: []flows.LinkEvent{{Name: "ERROR", ErrorCode: "INSTITUTION_DOWN"}, {Name: "ISSUE_FOLLOWED"}}}}}))
	if p := g.signup().own().Progress(); !p.Done() {
		t.Fatalf("progress %+v from /link/token/get", p)
	}
}

func TestRestoreNeedsOptIn(t *testing.T) {
	f := newFixture(t, true, 100, 30, withEnv(testkit.DemoEnv(t, env.Config{}))) // r goes through the interpreter to a real emulator
	f.open(nSignup)
	if cmd := f.key("r"); cmd != nil {
		t.Fatal("r worked before the opt-in")
	}
	f.key("m")
	f.key("m")
	cmd := f.key("r")
	if cmd == nil || !f.signup().restoring() {
		t.Fatal("r did nothing after the opt-in")
	}
	// The emulator has no opt-in waiting (nothing was really signed up): no e-mail, and the UI says so.
	msg, ok := await[resultMsg](cmd)
	if _, restored := msg.in.(flows.Restored); !ok || !restored {
		t.Fatalf("restore Cmd gave %+v, not the restore's answer", msg)
	}
	f.send(msg)
	if f.signup().own().Restored || !strings.Contains(f.signup().note(), "no recovery e-mail was sent") {
		t.Fatalf("restored=%v note=%q", f.signup().own().Restored, f.signup().note())
	}
	// With an e-mail, the half follows the recovery session's link token.
	mail := fixedEmail()
	cmd = f.send(restored(nSignup, []flows.Email{mail}, []flows.Email{mail}))
	if !f.signup().own().Restored || f.signup().st.Wait.Token != fixedToken1 || f.signup().url() != fixedMail {
		t.Fatalf("after the e-mail: restored=%v token=%q url=%q", f.signup().own().Restored, f.signup().st.Wait.Token, f.signup().url())
	}
	// The webhook clock is not armed yet (it starts when /link/token/get shows the session
	// finished): the restore itself asks for nothing.
	if cmd != nil {
		t.Fatal("the restore armed something, e.g. the webhook clock before the session finished")
	}
	// The sign-up session's own EXITED SESSION_FINISHED must not end the wait.
	exited := webhookEvent(5, "SESSION_FINISHED", true, `{}`, webhook.Webhook{Status: "EXITED", LinkToken: fixedToken1})
	if cmd := f.send(webhookReceivedMsg{ev: exited}); f.signup().exchanging() || f.signup().st.Wait.WebhookSeq != 0 {
		t.Fatalf("an EXITED session was taken as the result (cmd %v)", cmd != nil)
	}
	f.send(webhookReceivedMsg{ev: sessionFinished(6, fixedToken1, true)})
	if !f.signup().exchanging() || f.signup().st.Wait.Via != "webhook" {
		t.Fatal("the recovery session's SESSION_FINISHED did not start the exchange")
	}
}

func TestSessionFinishedIsTrustedOnlyVerified(t *testing.T) {
	f := newFixture(t, true, 100, 30)
	f.open(nSession)
	if cmd := f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, false)}); f.session().exchanging() {
		t.Fatalf("exchanged on an unverified webhook (cmd %v)", cmd != nil)
	}
	if cmd := f.send(webhookReceivedMsg{ev: sessionFinished(2, "link-sandbox-other", true)}); f.session().exchanging() {
		t.Fatalf("exchanged on another link token's webhook (cmd %v)", cmd != nil)
	}
	v := f.m.View()
	if !strings.Contains(v, "unverified SESSION_FINISHED #1: signature does not match") {
		t.Fatalf("the rejected webhook is not shown with its reason:\n%s", v)
	}
	cmd := f.send(webhookReceivedMsg{ev: sessionFinished(3, fixedToken2, true)})
	e, ok := awaitFailed(cmd)
	if !ok || e.Call != flows.CallExchange {
		t.Fatalf("verified SESSION_FINISHED: cmd gave %+v, want the exchange", e)
	}
	if f.session().st.Wait.PublicToken() != "public-sandbox-12345678-aaaa-4bbb-8ccc-000000000000" {
		t.Fatalf("exchanging %q", f.session().st.Wait.PublicToken())
	}
	// A duplicate changes nothing.
	dup := sessionFinished(4, fixedToken2, true)
	dup.Duplicate = true
	if cmd := f.send(webhookReceivedMsg{ev: dup}); cmd != nil {
		if _, ok := awaitFailed(cmd); ok {
			t.Fatal("a duplicate started a second exchange")
		}
	}
	f.send(callFailed(nSession, "exchange public token", errors.New("boom")))
	f.send(exchanged(nSession, fixedItem()))
	v = f.m.View()
	if !strings.Contains(v, "item-fixed-0001") || strings.Contains(v, fixedItem().AccessToken) || !strings.Contains(v, secret.Mask(fixedItem().AccessToken)) {
		t.Fatalf("item view (the access token must be masked):\n%s", v)
	}
	if strings.Contains(v, "boom") {
		t.Fatal("the exchange error stayed after the exchange succeeded")
	}
}

func TestWebhookTimeoutFallsBackToPolling(t *testing.T) {
	f := newFixture(t, true, 100, 30)
	f.open(nSession)
	st := flows.TokenStatus{Sessions: []flows.Session{{ID: "s1", Finished: true, Status: "SUCCESS", PublicTokens: []string{"public-polled"}}}}
	f.send(polled(nSession, fixedToken2, st))
	if f.session().exchanging() {
		t.Fatal("exchanged from polling before the webhook timeout: a broken webhook path would go unnoticed")
	}
	// A timeout for an older token is stale.
	f.send(timedOut(nSession, "link-old"))
	if f.session().st.Wait.TimedOut() {
		t.Fatal("a stale timeout was taken")
	}
	cmd := f.send(timedOut(nSession, fixedToken2))
	if !f.session().st.Wait.TimedOut() || f.session().st.Wait.PublicToken() != "public-polled" || f.session().st.Wait.Via != "polling" {
		t.Fatalf("fallback: %+v", f.session().st.Wait)
	}
	if e, ok := awaitFailed(cmd); !ok || e.Call != flows.CallExchange {
		t.Fatal("no exchange after the fallback")
	}
	f.send(exchanged(nSession, fixedItem()))
	if st := f.session().st; !st.Done() || st.Outcome.Passed {
		t.Fatalf("done=%v passed=%v: a half without a verified webhook must not pass", st.Done(), st.Outcome.Passed)
	}
}

func TestErrorsShownThenCleared(t *testing.T) {
	f := newFixture(t, false, 100, 30)
	f.open(nSession)
	pe := &flows.PlaidError{Code: "RATE_LIMIT_EXCEEDED", Message: "too many requests", RequestID: "req-42", Endpoint: "/link/token/get", HTTPStatus: 429, Type: "RATE_LIMIT_EXCEEDED"}
	f.send(callFailed(nSession, "poll /link/token/get", pe))
	f.send(callFailed(nSession, "poll /link/token/get", pe))
	v := f.m.View()
	for _, want := range []string{"RATE_LIMIT_EXCEEDED", "too many requests", "req-42", "(×2)", "→ "} {
		if !strings.Contains(v, want) {
			t.Errorf("error view lacks %q:\n%s", want, v)
		}
	}
	f.send(polled(nSession, fixedToken2, flows.TokenStatus{}))
	if v := f.m.View(); strings.Contains(v, "RATE_LIMIT_EXCEEDED") {
		t.Fatalf("the poll error stayed after a poll succeeded:\n%s", v)
	}
}

func TestReceiverEventsAreReArmed(t *testing.T) {
	f := newFixture(t, true, 100, 30)
	ch := make(chan webhook.Event, 2)
	ch <- eventsWebhook(1, fixedToken2, evInstitutionDown)
	ch <- eventsWebhook(2, fixedToken2, evIssueFollowed)
	cmd := f.send(tunnelMsg{in: flows.TunnelUp{Provider: string(tunnel.ProviderLocal), WebhookURL: fixedHook}, events: ch})
	for want := int64(1); want <= 2; want++ {
		msg, ok := await[webhookReceivedMsg](cmd)
		if !ok || msg.ev.Seq != want {
			t.Fatalf("event %d: got %+v", want, msg)
		}
		cmd = f.send(msg)
	}
	close(ch)
	if _, ok := await[receiverClosedMsg](cmd); !ok {
		t.Fatal("a closed channel did not become receiverClosedMsg")
	}
	f.send(receiverClosedMsg{})
	if !strings.Contains(f.m.View(), "receiver stopped") {
		t.Fatal("the stopped receiver is not shown")
	}
}

func TestSpinnerStopsWhenIdle(t *testing.T) {
	f := newFixture(t, true, 100, 30)
	f.tunnelUp()
	f.m.spinning = true
	if cmd := f.send(spinner.TickMsg{ID: f.m.spinner.ID()}); cmd != nil || f.m.spinning {
		t.Fatal("the spinner kept ticking with nothing in flight")
	}
	f.key("2") // creating a token: the spinner starts again
	if !f.m.spinning {
		t.Fatal("the spinner did not start for the token")
	}
}

func TestNewTokenStartsOver(t *testing.T) {
	f := newFixture(t, true, 100, 30)
	f.open(nSession)
	f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
	f.send(exchanged(nSession, fixedItem()))
	cmd := f.key("n")
	if f.session().st.HasToken() || !f.session().starting() || f.session().st.Wait.Item != nil {
		t.Fatal("n did not start the half over")
	}
	if e, ok := awaitFailed(cmd); !ok || e.Call != flows.CallCreateToken {
		t.Fatal("n did not create a token")
	}
}

func TestHelpFollowsTheScreen(t *testing.T) {
	f := newFixture(t, true, 200, 30)
	home := f.m.View()
	f.open(nSignup)
	signup := f.m.View()
	if !strings.Contains(home, "half 1: sign-up") || strings.Contains(home, "copy") {
		t.Fatalf("home help:\n%s", home)
	}
	if !strings.Contains(signup, "c copy") || strings.Contains(signup, "half 1: sign-up") || strings.Contains(signup, "r bring") {
		t.Fatalf("signup help:\n%s", signup)
	}
	f.key("?")
	if !f.m.help.ShowAll || !strings.Contains(f.m.View(), "shift+tab") {
		t.Fatal("? did not show the full help")
	}
}

// The person leaves Link: the verified EXITED SESSION_FINISHED ends the wait, with a clear line
// and no spinner (the screen used to go on "Waiting for SESSION_FINISHED" after it came).
func TestSessionExitIsExplained(t *testing.T) {
	f := newFixture(t, true, 120, 40)
	f.open(nSession)
	exited := webhookEvent(1, "SESSION_FINISHED", true, `{}`, webhook.Webhook{Status: "EXITED", LinkToken: fixedToken2})
	f.send(webhookReceivedMsg{ev: exited})
	if f.session().exchanging() || f.session().st.Wait.Waiting() || f.m.needsSpinner() {
		t.Fatal("the wait goes on after the person left Link")
	}
	v := f.m.View()
	if !strings.Contains(v, "left Link without linking an account") || !strings.Contains(v, "Press n") ||
		strings.Contains(v, "Waiting for SESSION_FINISHED") {
		t.Fatalf("the exit is not explained:\n%s", v)
	}
	g := newFixture(t, true, 120, 40)
	g.open(nSession)
	g.send(polled(nSession, fixedToken2, flows.TokenStatus{Sessions: []flows.Session{
		{ID: "sess-1", Finished: true, Status: "EXITED", ExitCode: "INSTITUTION_DOWN"}}}))
	if v := g.m.View(); !strings.Contains(v, "ended without an Item") || !strings.Contains(v, "INSTITUTION_DOWN") {
		t.Fatalf("the polled exit is not explained:\n%s", v)
	}
}

func TestInspectorScrollsLongJSON(t *testing.T) {
	f := newFixture(t, true, 80, 24)
	f.open(nSession)
	var evs []string
	for i := 0; i < 40; i++ {
		evs = append(evs, evInstitutionDown)
	}
	f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken2, strings.Join(evs, ","))})
	f.key("w")
	before := f.m.View()
	f.key("pgdown")
	if f.m.inspector.vp.YOffset == 0 {
		t.Fatal("pgdn did not scroll the JSON")
	}
	if f.m.View() == before {
		t.Fatal("the view did not change after scrolling")
	}
	// Public tokens are exchangeable: the inspector masks them.
	f.send(webhookReceivedMsg{ev: sessionFinished(2, fixedToken2, true)})
	f.key("k")
	if v := f.m.View(); strings.Contains(v, "public-sandbox-12345678-aaaa-4bbb-8ccc-000000000000") || !strings.Contains(v, secret.Mask("public-sandbox-12345678-aaaa-4bbb-8ccc-000000000000")) {
		t.Fatalf("public token not masked:\n%s", v)
	}
}

// t retries a failed tunnel, and only a failed one; while it fails, tokens are made without a webhook.
func TestRetryTunnel(t *testing.T) {
	f := newFixture(t, false, 100, 30)
	if cmd := f.key("t"); cmd != nil {
		t.Fatal("t did something while the tunnel was still opening")
	}
	f.send(tunnelMsg{in: flows.TunnelDown{Err: &tunnel.Error{Provider: tunnel.ProviderNgrok, Cause: "NGROK_AUTHTOKEN is not set", Next: "set it"}}})
	if f.m.header.state != tunnelFailed || !f.m.keys.Tunnel.Enabled() {
		t.Fatalf("after a failure: tunnel %v, t enabled=%v", f.m.header.state, f.m.keys.Tunnel.Enabled())
	}
	cmd := f.key("t")
	if f.m.header.state != tunnelOpening || cmd == nil {
		t.Fatalf("t: header state %v, cmd %v; want opening and a command", f.m.header.state, cmd)
	}
	// The fixture has no Env, so the retry fails again, and says so.
	if _, ok := await[tunnelMsg](cmd); !ok {
		t.Fatal("the retry did not report back")
	}
	f.tunnelUp()
	if f.m.header.state == tunnelFailed || f.m.keys.Tunnel.Enabled() {
		t.Fatalf("after the tunnel came up: tunnel %v, t enabled=%v", f.m.header.state, f.m.keys.Tunnel.Enabled())
	}
}

// A call that reached nothing names the endpoint, the cause and the next step, the step only once.
func TestCallErrorTextSaysNextStepOnce(t *testing.T) {
	err := &flows.CallError{Endpoint: "/link/token/create", Cause: "cannot reach Plaid at https://sandbox.plaid.com", Next: "check your network or PLAID_BASE_URL"}
	got := errorText(errEntry{step: "create link token", scenario: nSession, err: err})
	want := "✗ session: create link token: /link/token/create: cannot reach Plaid at https://sandbox.plaid.com\n→ check your network or PLAID_BASE_URL"
	if got != want {
		t.Fatalf("errorText = %q, want %q", got, want)
	}
}

// TestCopyInTmuxSaysWhyItFailed: inside tmux the copy goes through tmux's own buffer; when tmux
// cannot take it (here: $TMUX names a server that is not running), no "Copied" appears, nothing is
// written as OSC 52 (tmux would drop it), and the error names the cause.
func TestCopyInTmuxSaysWhyItFailed(t *testing.T) {
	t.Setenv("TMUX", filepath.Join(t.TempDir(), "no-such-server")+",1,0")
	f := newFixture(t, true, 100, 30)
	var clip bytes.Buffer
	f.m.clipboard, f.m.tmux = &clip, true
	f.open(nSignup)
	msgs := collect(f.key("c"), nil)
	if msg, ok := find[copiedMsg](msgs); ok {
		t.Fatalf("copy with no tmux server said it worked: %+v", msg)
	}
	e, ok := find[stepErrMsg](msgs)
	if !ok || !strings.Contains(e.err.Error(), "tmux") {
		t.Fatalf("copy gave %+v, want an error naming tmux", msgs)
	}
	if clip.Len() != 0 {
		t.Errorf("an OSC 52 sequence was written inside tmux: %q", clip.String())
	}
	f.send(e)
	v := f.m.View()
	if strings.Contains(v, "Copied") || !strings.Contains(v, "tmux") {
		t.Fatalf("the screen does not say why the copy failed:\n%s", v)
	}
}

// TestRecoveryLoginShowsItsCredentials: once the recovery e-mail is out, the sign-up shows the
// recovery session's login (user_good / pass_good) as cards, and c copies from them.
func TestRecoveryLoginShowsItsCredentials(t *testing.T) {
	f := newFixture(t, true, 80, 24)
	var clip bytes.Buffer
	f.m.clipboard, f.m.tmux = &clip, false
	f.open(nSignup)
	f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
	f.key("tab") // the focus moves among the sign-up's cards: the recovery's start again at user_good
	mail := fixedEmail()
	f.send(restored(nSignup, []flows.Email{mail}, []flows.Email{mail}))
	if v := ansi.Strip(f.m.View()); !strings.Contains(v, "log in [user_good]  pass_good") {
		t.Fatalf("no recovery login cards:\n%s", v)
	}
	if msg, ok := await[copiedMsg](f.key("c")); !ok || msg.value != "user_good" {
		t.Fatalf("copy after the restore gave %+v", msg)
	}
}
