package tui

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/tunnel"
)

// parityScripts are the same inputs for both drivers: what Plaid, the receiver and the clock say
// during a run of one half (sandbox mode, a person at the Hosted Link page).
func parityScripts() map[string]struct {
	half flows.Half
	in   []flows.Input
} {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tok := func(h flows.Half) flows.LinkToken { return (&fixture{}).token(h) }
	finished := flows.TokenStatus{Sessions: []flows.Session{{ID: "s1", Finished: true, Status: "SUCCESS",
		PublicTokens: []string{"public-sandbox-12345678-aaaa-4bbb-8ccc-000000000000"}}}}
	other := sessionFinished(3, "link-sandbox-other", true)
	forged := sessionFinished(4, fixedToken2, false)
	rate := &flows.PlaidError{Code: "RATE_LIMIT_EXCEEDED", Type: "RATE_LIMIT_EXCEEDED", Message: "too many requests",
		RequestID: "req-1", Endpoint: "/link/token/get", HTTPStatus: 429}
	up := flows.TunnelUp{At: at(0), WebhookURL: fixedHook, Provider: tunnel.ProviderLocal}
	return map[string]struct {
		half flows.Half
		in   []flows.Input
	}{
		"session via webhook": {flows.HalfSession, []flows.Input{
			up, flows.Start{At: at(0)}, flows.TokenCreated{At: at(1), Token: tok(flows.HalfSession)},
			flows.Polled{At: at(3), Token: fixedToken2, Status: flows.TokenStatus{Sessions: []flows.Session{{ID: "s1"}}}},
			flows.CallFailed{At: at(5), Call: flows.CallPoll, Err: rate},
			flows.WebhookReceived{At: at(6), Event: eventsWebhook(2, fixedToken2, evInstitutionDown)},
			flows.WebhookReceived{At: at(7), Event: other},
			flows.WebhookReceived{At: at(8), Event: forged},
			flows.Polled{At: at(9), Token: fixedToken2, Status: finished},
			flows.WebhookReceived{At: at(10), Event: sessionFinished(5, fixedToken2, true)},
			flows.Exchanged{At: at(11), Item: fixedItem()},
		}},
		"session via fallback": {flows.HalfSession, []flows.Input{
			up, flows.Start{At: at(0)}, flows.TokenCreated{At: at(1), Token: tok(flows.HalfSession)},
			flows.Polled{At: at(9), Token: fixedToken2, Status: finished},
			flows.DeadlinePassed{At: at(189), Timer: flows.TimerWebhook, Token: fixedToken2},
			flows.Exchanged{At: at(190), Item: fixedItem()},
		}},
		"sign-up": {flows.HalfSignup, []flows.Input{
			up, flows.Start{At: at(0)}, flows.TokenCreated{At: at(1), Token: tok(flows.HalfSignup)},
			flows.WebhookReceived{At: at(6), Event: eventsWebhook(1, fixedToken1, evInstitutionDown)},
			flows.Polled{At: at(9), Token: fixedToken1, Status: flows.TokenStatus{Sessions: []flows.Session{{ID: "s1",
				Events: []flows.LinkEvent{{Name: "ERROR", ErrorCode: "INSTITUTION_DOWN"}, {Name: "ISSUE_FOLLOWED"}}}}}},
		}},
	}
}

// tuiMsg is the message the TUI gets for an input (the Cmds and the receiver would send it).
func tuiMsg(h flows.Half, in flows.Input) tea.Msg {
	switch in := in.(type) {
	case flows.TunnelUp:
		return tunnelOpenedMsg{provider: in.Provider, url: "http://127.0.0.1:40000", webhookURL: in.WebhookURL}
	case flows.Start:
		return keyMsg(fmt.Sprint(int(h)))
	case flows.TokenCreated:
		return linkTokenCreatedMsg{half: h, token: in.Token}
	case flows.Polled:
		return tokenPolledMsg{half: h, token: in.Token, status: in.Status}
	case flows.CallFailed:
		return stepErrMsg{step: stepPoll, half: h, err: in.Err}
	case flows.WebhookReceived:
		return webhookReceivedMsg{ev: in.Event}
	case flows.DeadlinePassed:
		return webhookTimeoutMsg{half: h, token: in.Token}
	case flows.Exchanged:
		return exchangedMsg{half: h, item: in.Item}
	}
	panic(fmt.Sprintf("no TUI message for %T", in))
}

// shape is a record's event and its keys, which must agree between drivers (values such as the
// time may not).
func shape(r flows.Record) string {
	var keys []string
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return fmt.Sprintf("%v{%s}", r["event"], strings.Join(keys, ","))
}

// A TUI run and a headless run of the same half, fed the same inputs, write the same records: the
// same event kinds in the same order, with the same keys.
func TestTUIAndHeadlessWriteTheSameRecords(t *testing.T) {
	for name, sc := range parityScripts() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			headless, err := flows.OpenTranscript(filepath.Join(dir, "headless.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			flows.Replay(sc.half, flows.MachineOptions{Mode: flows.ModeSandbox}, sc.in, headless.Emit)
			_ = headless.Close()

			f := newFixture(t, false, 120, 40)
			tr, err := flows.OpenTranscript(filepath.Join(dir, "tui.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			f.m.transcript, f.m.transcriptBusy = tr, true // records queue; written below, in order
			for _, in := range sc.in {
				f.send(tuiMsg(sc.half, in))
			}
			if msg := writeRecordsCmd(tr, f.m.records)().(transcriptWrittenMsg); msg.err != nil {
				t.Fatal(msg.err)
			}
			_ = tr.Close()

			var want, got []string
			for _, r := range readRecords(t, filepath.Join(dir, "headless.jsonl")) {
				want = append(want, shape(r))
			}
			for _, r := range readRecords(t, filepath.Join(dir, "tui.jsonl")) {
				got = append(got, shape(r))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("the TUI's transcript differs from the headless one\nTUI:\n  %s\nheadless:\n  %s",
					strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			t.Logf("records:\n  %s", strings.Join(want, "\n  "))
			if len(want) < 4 || !strings.HasPrefix(want[len(want)-1], "done{") {
				t.Errorf("the script did not reach done: %v", want)
			}
		})
	}
}
