package tui

import (
	"time"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

// Every message about a half carries its half, so the root hands it to that half's machine; the
// half turns it into a flows.Input stamped with the clock (hostedLink.input).

// tunnelOpenedMsg fires when env.OpenTunnel succeeded. It carries copies of what the header shows and
// the receiver's event channel, so Update never reads the Env's fields.
type tunnelOpenedMsg struct {
	provider    tunnel.Provider
	url         string
	webhookURL  string
	freePlan    bool   // ngrok's free plan: the phone meets ngrok's browser warning first
	tokenSource string // ngrok: where its authtoken came from
	events      <-chan webhook.Event
}

// tunnelFailedMsg fires when env.OpenTunnel failed; the app keeps going (polling still works).
type tunnelFailedMsg struct{ err error }

// linkTokenCreatedMsg fires when /link/token/create answered for a half.
type linkTokenCreatedMsg struct {
	half         flows.Half
	token        flows.LinkToken
	clockWarning string        // what Plaid's first answer said of our clock ("" when fine)
	clockSkew    time.Duration // how far off it is
}

// pollTickMsg fires when a half's machine wants its next /link/token/get (flows.TimerPoll).
type pollTickMsg struct {
	half  flows.Half
	token string
}

// tokenPolledMsg fires when /link/token/get answered.
type tokenPolledMsg struct {
	half   flows.Half
	token  string
	status flows.TokenStatus
	at     time.Time
}

// webhookReceivedMsg fires for every event the receiver reports (webhooks, rejects, /complete hits,
// forward results). Its handler re-arms the wait.
type webhookReceivedMsg struct{ ev webhook.Event }

// receiverClosedMsg fires when the receiver's event channel closes (it stopped).
type receiverClosedMsg struct{}

// webhookTimeoutMsg fires when a half's webhook clock runs out (flows.TimerWebhook): the webhook
// timeout after /link/token/get showed the session finished.
type webhookTimeoutMsg struct {
	half  flows.Half
	token string
}

// deadlineMsg fires for a machine's other deadlines (e.g. flows.TimerEvents).
type deadlineMsg struct {
	half  flows.Half
	token string
	timer flows.Timer
}

// exchangedMsg fires when the public token was exchanged and the Item read.
type exchangedMsg struct {
	half flows.Half
	item flows.Item
}

// institutionRestoredMsg fires when the emulator brought the institution back and sent e-mails.
type institutionRestoredMsg struct {
	half  flows.Half
	sent  []flows.Email
	inbox []flows.Email
}

// autoCompletedMsg fires when the emulator walked a Hosted Link session by itself (--auto or a).
type autoCompletedMsg struct {
	half     flows.Half
	recovery bool // the session of the recovery e-mail, not the half's own
	url      string
}

// browserOpenedMsg fires when xdg-open/open returned without error.
type browserOpenedMsg struct{ url string }

// copiedMsg fires when a credential went to the clipboard: via says how (OSC 52, tmux load-buffer).
type copiedMsg struct{ label, value, via string }

// transcriptWrittenMsg fires when a batch of records reached the transcript (err if not).
type transcriptWrittenMsg struct{ err error }

// stepErrMsg is any failed step; the UI shows it and keeps running.
type stepErrMsg struct {
	step string     // what was being done, e.g. "create link token"
	half flows.Half // 0 when not about a half
	err  error
}

func (e stepErrMsg) Error() string { return e.step + ": " + e.err.Error() }

// The steps of stepErrMsg that are a machine's calls, and the call each one is.
const (
	stepCreate   = "create link token"
	stepPoll     = "poll /link/token/get"
	stepExchange = "exchange public token"
	stepAuto     = "auto-complete the Hosted Link session"
	stepRestore  = "bring the institution back"
)

var stepCalls = map[string]flows.Call{
	stepCreate: flows.CallCreateToken, stepPoll: flows.CallPoll, stepExchange: flows.CallExchange,
	stepAuto: flows.CallAutoComplete, stepRestore: flows.CallRestore,
}
