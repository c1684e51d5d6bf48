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
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// parityScript is the same inputs for both drivers: what Plaid, the receiver and the clock say
// during a run of one scenario (sandbox mode, a person at the Hosted Link page).
type parityScript struct {
	scenario string
	in       []flows.Timed
}

func parityScripts() map[string]parityScript {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tok := func(name string) flows.LinkToken { return (&fixture{}).token(name) }
	finished := flows.TokenStatus{Sessions: []flows.Session{{ID: "s1", Finished: true, Status: "SUCCESS",
		PublicTokens: []string{"public-sandbox-12345678-aaaa-4bbb-8ccc-000000000000"}}}}
	other := sessionFinished(3, "link-sandbox-other", true)
	forged := sessionFinished(4, fixedToken2, false)
	rate := &flows.PlaidError{Code: "RATE_LIMIT_EXCEEDED", Type: "RATE_LIMIT_EXCEEDED", Message: "too many requests",
		RequestID: "req-1", Endpoint: "/link/token/get", HTTPStatus: 429}
	up := flows.Timed{At: at(0), In: flows.TunnelUp{WebhookURL: fixedHook, Provider: "local"}}
	start := func(name string) []flows.Timed {
		return []flows.Timed{up, {At: at(0), In: flows.Start{}}, {At: at(1), In: flows.TokenCreated{Token: tok(name)}}}
	}
	got := func(s int, ev webhook.Event) flows.Timed {
		return flows.Timed{At: at(s), In: flows.Received{Event: ev}}
	}
	scripts := map[string]parityScript{
		"session via webhook": {nSession, append(start(nSession),
			flows.Timed{At: at(3), In: flows.Polled{Token: fixedToken2, Status: flows.TokenStatus{Sessions: []flows.Session{{ID: "s1"}}}}},
			flows.Timed{At: at(5), In: flows.CallFailed{Call: flows.CallPoll, Err: rate}},
			got(6, eventsWebhook(2, fixedToken2, evInstitutionDown)), got(7, other), got(8, forged),
			flows.Timed{At: at(9), In: flows.Polled{Token: fixedToken2, Status: finished}},
			got(10, sessionFinished(5, fixedToken2, true)),
			flows.Timed{At: at(11), In: flows.Exchanged{Item: fixedItem()}})},
		"session via fallback": {nSession, append(start(nSession),
			flows.Timed{At: at(9), In: flows.Polled{Token: fixedToken2, Status: finished}},
			flows.Timed{At: at(189), In: flows.DeadlinePassed{Timer: flows.TimerWebhook, Token: fixedToken2}},
			flows.Timed{At: at(190), In: flows.Exchanged{Item: fixedItem()}})},
		"sign-up": {nSignup, append(start(nSignup),
			got(6, eventsWebhook(1, fixedToken1, evInstitutionDown)),
			flows.Timed{At: at(9), In: flows.Polled{Token: fixedToken1, Status: flows.TokenStatus{Sessions: []flows.Session{{ID: "s1",
				Events: []flows.LinkEvent{{Name: "ERROR", ErrorCode: "INSTITUTION_DOWN"}, {Name: "ISSUE_FOLLOWED"}}}}}}})},
	}
	for name, more := range moreParityScripts {
		scripts[name] = more(start, got)
	}
	return scripts
}

// moreParityScripts are scenarios' own scripts (from their test files), made with the start of a
// run and a received webhook at a second.
var moreParityScripts = map[string]func(start func(string) []flows.Timed, got func(int, webhook.Event) flows.Timed) parityScript{}

// tuiMsg is the message the TUI gets for an input (the Cmds and the receiver would send it).
func tuiMsg(m model, name string, in flows.Input) tea.Msg {
	switch in := in.(type) {
	case flows.TunnelUp:
		return tunnelMsg{in: in}
	case flows.Start:
		i, _ := m.runIndex(name)
		return keyMsg(fmt.Sprint(i + 1))
	case flows.Received:
		return webhookReceivedMsg{ev: in.Event}
	}
	return resultMsg{scenario: name, in: in}
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

// A TUI run and a headless run of the same scenario, fed the same inputs, write the same records:
// the same event kinds in the same order, with the same keys.
func TestTUIAndHeadlessWriteTheSameRecords(t *testing.T) {
	for name, sc := range parityScripts() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			headless, err := flows.OpenTranscript(filepath.Join(dir, "headless.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			scenario, _ := flows.Lookup(sc.scenario)
			flows.Replay(scenario, flows.Options{Mode: flows.ModeSandbox}, sc.in, headless.Emit)
			_ = headless.Close()

			tr, err := flows.OpenTranscript(filepath.Join(dir, "tui.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, false, 120, 40, withQueuedRecords(tr))
			for _, in := range sc.in {
				f.clock.t = in.At
				f.send(tuiMsg(f.m, sc.scenario, in.In))
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
