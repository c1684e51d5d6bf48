package tui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/emulator/audit"
	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// Results of the scenarios' effects all come back in one envelope, resultMsg, which the root hands
// to the run it names: a new effect needs no new message and no new case, and a result for a run
// that does not exist is shown as a bug, not dropped.

// resultMsg fires when the interpreter (env.Perform) has done one of a run's effects: in is the
// answer, a failure or a deadline.
type resultMsg struct {
	scenario string // the run's scenario name
	in       flows.Input
}

// tunnelMsg fires when env.Open has opened the tunnel (in is flows.TunnelUp, with the receiver's
// events) or failed (flows.TunnelDown). Every run gets it.
type tunnelMsg struct {
	in     flows.Input
	events <-chan webhook.Event
}

// webhookReceivedMsg fires for every event the receiver reports (webhooks, rejects, /complete hits,
// relay results). Its handler re-arms the wait.
type webhookReceivedMsg struct{ ev webhook.Event }

// receiverClosedMsg fires when the receiver's event channel closes (it stopped).
type receiverClosedMsg struct{}

// browserOpenedMsg fires when xdg-open/open returned without error.
type browserOpenedMsg struct{ url string }

// copiedMsg fires when a credential went to the clipboard: via says how (OSC 52, tmux load-buffer).
type copiedMsg struct{ label, value, via string }

// reportSavedMsg fires when s has written a run's report to path (err if not).
type reportSavedMsg struct {
	scenario, path string
	err            error
}

// transcriptWrittenMsg fires when a batch of records reached the transcript (err if not).
type transcriptWrittenMsg struct{ err error }

// stepErrMsg is a failed step of the TUI's own (open the browser, copy, resend, the transcript);
// a run's failed calls come as resultMsg. The UI shows it and keeps running.
type stepErrMsg struct {
	step string // what was being done, e.g. "open the browser"
	err  error
}

func (e stepErrMsg) Error() string { return e.step + ": " + e.err.Error() }

// callSteps are how the error box names a run's failed call.
var callSteps = map[flows.Call]string{
	flows.CallCreateToken: "create link token",
	flows.CallPoll:        "poll /link/token/get",
	flows.CallExchange:    "exchange public token",
	flows.CallWalk:        "auto-complete the Hosted Link session",
	flows.CallRestore:     "bring the institution back",
}

// callOf is the call whose answer in is (0: not a call's answer).
func callOf(in flows.Input) flows.Call {
	switch in.(type) {
	case flows.TokenCreated:
		return flows.CallCreateToken
	case flows.Polled:
		return flows.CallPoll
	case flows.Exchanged:
		return flows.CallExchange
	case flows.Walked, flows.PageWalked:
		return flows.CallWalk
	case flows.Restored:
		return flows.CallRestore
	}
	return 0
}

// unwrap is the input inside an Answered (the Plaid calls it made are the run's events).
func unwrap(in flows.Input) flows.Input {
	if a, ok := in.(flows.Answered); ok {
		return a.Input
	}
	return in
}

// auditStartedMsg fires when an audit run has started (auditStartCmd): ch carries its
// auditCaseMsg and then its auditDoneMsg, and the handler of each re-arms the wait.
type auditStartedMsg struct {
	gen int
	ch  <-chan tea.Msg
}

// auditCaseMsg fires as each case of audit run gen is judged.
type auditCaseMsg struct {
	gen int
	res audit.CaseResult
}

// auditDoneMsg fires when audit run gen has ended: err if it could not finish.
type auditDoneMsg struct {
	gen int
	err error
}
