package flows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

// Timings every driver shares, defined once here.
const (
	// DemoPollInterval and SandboxPollInterval are how often /link/token/get is polled while a
	// session is followed (see PollInterval).
	DemoPollInterval    = 250 * time.Millisecond
	SandboxPollInterval = 2 * time.Second // Plaid rate-limits /link/token/get
	// DefaultTransportGrace is how long calls to Plaid may fail with no answer at all (network down,
	// Plaid unreachable) before a headless run gives up.
	DefaultTransportGrace = 30 * time.Second
	// DefaultEventsWait bounds the wait for EVENTS once every sign-up session ended with steps
	// missing: Plaid sends EVENTS when the user finishes, or 5 to 15 minutes after an abandoned
	// session.
	DefaultEventsWait = 16 * time.Minute
	// eventsNotice is how often a waiting record says how much of DefaultEventsWait is left.
	eventsNotice = time.Minute
)

// PollInterval is how often a half polls /link/token/get in mode.
func PollInterval(mode Mode) time.Duration {
	if mode == ModeDemo {
		return DemoPollInterval
	}
	return SandboxPollInterval
}

// Input is one thing that happened to a half, fed to Machine.Step. Every input carries the time it
// happened, read from the driver's clock, so the machine itself never reads a clock.
type Input interface{ when() time.Time }

// Start begins a half (or begins it again with a new token: the "new token" intent).
type Start struct{ At time.Time }

// TunnelUp says the tunnel opened and the receiver runs.
type TunnelUp struct {
	At          time.Time
	WebhookURL  string
	Provider    tunnel.Provider
	TokenSource string // ngrok: where its authtoken came from
	FreePlan    bool   // ngrok's free plan: the phone meets its browser warning first
}

// TunnelDown says the tunnel could not open (or a retry failed).
type TunnelDown struct {
	At  time.Time
	Err error
}

// TokenCreated is /link/token/create's answer, with what Plaid's first answer said of our clock.
type TokenCreated struct {
	At           time.Time
	Token        LinkToken
	ClockWarning string        // Env.ClockWarning: "" when the clock is fine (or not known)
	ClockSkew    time.Duration // Env.ClockSkew
}

// Polled is /link/token/get's answer for Token.
type Polled struct {
	At     time.Time
	Token  string
	Status TokenStatus
}

// WebhookReceived is one receiver event (webhook, refused request, /complete hit, relay result).
type WebhookReceived struct {
	At    time.Time
	Event webhook.Event
}

// ReceiverStopped says the receiver's event channel closed: no more webhooks can come.
type ReceiverStopped struct{ At time.Time }

// DeadlinePassed is a Schedule action's timer firing.
type DeadlinePassed struct {
	At    time.Time
	Timer Timer
	Token string
}

// Exchanged is the Item a public token was exchanged for.
type Exchanged struct {
	At   time.Time
	Item Item
}

// AutoCompleted says the emulator finished walking a Hosted Link session.
type AutoCompleted struct {
	At       time.Time
	Recovery bool // the recovery e-mail's session, not the half's own
}

// Restored says the bank is back: Sent are the recovery e-mails it sent now, Inbox every one so far.
type Restored struct {
	At    time.Time
	Sent  []Email
	Inbox []Email
}

// CallFailed says an action's call failed.
type CallFailed struct {
	At   time.Time
	Call Call
	Err  error
}

// Intent is something the person asked for (TUI keys).
type Intent struct {
	At   time.Time
	Kind IntentKind
}

// Visible says whether the half is on screen: a TUI polls only the half the person looks at.
type Visible struct {
	At time.Time
	On bool
}

// Stopped says the run's context ended (headless: a deadline or a signal).
type Stopped struct {
	At  time.Time
	Err error
}

func (i Start) when() time.Time           { return i.At }
func (i TunnelUp) when() time.Time        { return i.At }
func (i TunnelDown) when() time.Time      { return i.At }
func (i TokenCreated) when() time.Time    { return i.At }
func (i Polled) when() time.Time          { return i.At }
func (i WebhookReceived) when() time.Time { return i.At }
func (i ReceiverStopped) when() time.Time { return i.At }
func (i DeadlinePassed) when() time.Time  { return i.At }
func (i Exchanged) when() time.Time       { return i.At }
func (i AutoCompleted) when() time.Time   { return i.At }
func (i Restored) when() time.Time        { return i.At }
func (i CallFailed) when() time.Time      { return i.At }
func (i Intent) when() time.Time          { return i.At }
func (i Visible) when() time.Time         { return i.At }
func (i Stopped) when() time.Time         { return i.At }

// IntentKind names what the person asked for.
type IntentKind int

// The intents a person can have.
const (
	IntentAutoComplete IntentKind = iota + 1 // a: the emulator finishes the current session
	IntentRestore                            // r: bring the bank back (demo)
	IntentMark                               // m: tick the next sign-up step by hand
)

// Call names the calls actions ask for, so that a failure can say which one failed.
type Call int

// The calls a machine asks its driver to make.
const (
	CallCreateToken Call = iota + 1
	CallPoll
	CallExchange
	CallAutoComplete
	CallRestore
)

// step is the name a call's failure has in "error" records.
func (c Call) step() string {
	switch c {
	case CallCreateToken:
		return "link_token_create"
	case CallPoll:
		return "link_token_get"
	case CallExchange:
		return "exchange"
	case CallAutoComplete:
		return "auto"
	case CallRestore:
		return "restore"
	}
	return "call"
}

// Timer names the deadlines a machine schedules.
type Timer int

// The deadlines.
const (
	TimerPoll    Timer = iota + 1 // the next /link/token/get
	TimerWebhook                  // the webhook clock: SESSION_FINISHED should have come by now
	TimerEvents                   // the sign-up's wait for late EVENTS: say how long is left
)

// Action is something Step asks the driver to do.
type Action interface{ isAction() }

// Emit asks the driver to write a record (stdout, transcript).
type Emit struct{ Record Record }

// CreateToken asks for /link/token/create: with the tunnel's webhook, or without one (polling only).
type CreateToken struct {
	Half    Half
	Webhook bool
}

// PollToken asks for /link/token/get now; the answer comes back as Polled or CallFailed.
type PollToken struct{ Token string }

// Schedule asks for a DeadlinePassed{Timer, Token} after After.
type Schedule struct {
	Timer Timer
	Token string
	After time.Duration
}

// ExchangeToken asks to exchange a public token for its Item.
type ExchangeToken struct{ PublicToken string }

// CompleteSession asks the emulator to walk a Hosted Link session (demo mode).
type CompleteSession struct {
	URL      string
	Creds    emulator.Credentials
	Recovery bool
}

// RestoreBank asks the emulator to bring the bank back and send the recovery e-mails (demo mode).
type RestoreBank struct{}

// Finished says the half reached its outcome; its done record was emitted just before.
type Finished struct {
	Passed bool
	Reason string
}

func (Emit) isAction()            {}
func (CreateToken) isAction()     {}
func (PollToken) isAction()       {}
func (Schedule) isAction()        {}
func (ExchangeToken) isAction()   {}
func (CompleteSession) isAction() {}
func (RestoreBank) isAction()     {}
func (Finished) isAction()        {}

// MachineOptions are what a driver sets up a Machine with.
type MachineOptions struct {
	Mode     Mode
	PlaidURL string
	// WebhookTimeout is how long after /link/token/get shows the session finished a verified
	// SESSION_FINISHED may take before the half falls back to polling (0: DefaultWebhookTimeout).
	WebhookTimeout time.Duration
	PollInterval   time.Duration // 0: PollInterval(Mode)
	// TransportGrace is how long polling may fail with no answer before the half gives up (only
	// with GiveUp; 0: DefaultTransportGrace).
	TransportGrace time.Duration
	EventsWait     time.Duration // 0: DefaultEventsWait
	// Auto completes each Hosted Link session with the emulator as soon as it exists (demo).
	Auto bool
	// CanRestore says the emulator can bring the bank back, so the sign-up half goes on to the
	// recovery session (demo mode, with someone or --auto to do it).
	CanRestore bool
	// GiveUp ends the half (done, passed false) on what a person at a screen could retry instead:
	// a failed tunnel, a session that ended the wrong way, a failed call, Plaid unreachable for
	// TransportGrace. Headless runs set it (nobody is there to retry); the TUI shows the problem,
	// records it, and lets the person try again.
	GiveUp bool
}

// Machine is one half of Link Recovery testing as a pure reducer: Step takes an Input and returns
// the Actions it calls for. It owns the half's state, its records, the webhook clock, the fallback
// to polling and the pass rule; its Scenario supplies what differs between halves. It does no I/O
// and reads no clock (the time comes in each Input). Not safe for concurrent use.
type Machine struct {
	sc Scenario
	o  MachineOptions

	// The tunnel, shared by every half of a process: settled once it opened or failed.
	tunnelSettled bool
	tunnelUp      bool
	webhookURL    string
	provider      tunnel.Provider
	tunnelErr     error
	tunnelInfo    TunnelUp

	started  bool       // Start came: a token is wanted
	Creating bool       // a CreateToken is in flight (or waits for the tunnel)
	creating bool       // the CreateToken action was issued
	Token    *LinkToken // the link token, once made
	Since    time.Time  // when the token was made
	Auto     bool       // a CompleteSession is in flight
	tokens   []string   // link tokens whose webhooks are this half's (the token, a recovery e-mail's)
	visible  bool       // the half is on screen (always, headless): it polls only then
	// One poll chain at a time: a TimerPoll scheduled, a PollToken in flight, or both (a poll
	// asked for at once while the next tick is scheduled).
	pollScheduled bool
	pollInFlight  bool

	Fin Finish // the session whose Item the half waits for

	lastCallErr   string    // the last failed call's message, recorded once
	failingSince  time.Time // polls have failed with no answer since then
	Done          bool      // the half reached its outcome (its done record is out)
	Passed        bool      // ... and passed
	Reason        string    // why it did not pass
	Note          string    // a remark for the screen (the half goes on)
	half          any       // the scenario's own state (see Machine.Signup)
	receiverGone  bool
	recordedReady bool
}

// NewMachine returns the machine of a scenario.
func NewMachine(sc Scenario, o MachineOptions) *Machine {
	if o.WebhookTimeout <= 0 {
		o.WebhookTimeout = DefaultWebhookTimeout
	}
	if o.PollInterval <= 0 {
		o.PollInterval = PollInterval(o.Mode)
	}
	if o.TransportGrace <= 0 {
		o.TransportGrace = DefaultTransportGrace
	}
	if o.EventsWait <= 0 {
		o.EventsWait = DefaultEventsWait
	}
	m := &Machine{sc: sc, o: o, visible: true}
	m.half = sc.newState()
	return m
}

// Scenario is the scenario the machine runs.
func (m *Machine) Scenario() Scenario { return m.sc }

// Options are the machine's options, defaults filled in.
func (m *Machine) Options() MachineOptions { return m.o }

// Half is the machine's half.
func (m *Machine) Half() Half { return m.sc.Half() }

// TunnelSettled says whether the tunnel opened or failed (a token can be made either way).
func (m *Machine) TunnelSettled() bool { return m.tunnelSettled }

// Step takes one input and returns what to do, in order.
func (m *Machine) Step(in Input) []Action {
	s := &stepper{m: m, at: in.when()}
	// Start and the tunnel's state count whether or not the half is done; only a live half may be
	// waiting for the tunnel to create its token.
	switch in := in.(type) {
	case Start:
		m.reset()
		s.start()
		return s.out
	case TunnelUp:
		m.tunnelIs(in.WebhookURL, in.Provider, nil)
		m.tunnelInfo = in
		if !m.Done {
			s.createIfWaiting()
		}
		return s.out
	case TunnelDown:
		m.tunnelIs("", "", in.Err)
		if !m.Done {
			s.createIfWaiting()
		}
		return s.out
	}
	if m.Done {
		// A finished half only reports what still arrives (webhooks), for the record.
		if in, ok := in.(WebhookReceived); ok {
			s.event(in.Event)
		}
		return s.out
	}
	switch in := in.(type) {
	case TokenCreated:
		s.tokenCreated(in)
	case Polled:
		if m.Token == nil || in.Token != m.Token.Token {
			return nil // about an older token
		}
		m.pollInFlight = false
		m.failingSince = time.Time{}
		m.lastCallErr = ""
		s.polled(in.Status)
		s.pollLater()
	case WebhookReceived:
		s.webhook(in.Event)
	case ReceiverStopped:
		if m.receiverGone {
			return nil
		}
		m.receiverGone = true
		s.emit(Record{"event": "error", "step": "receiver",
			"message": "the webhook receiver stopped; following the session by polling /link/token/get",
			"hint":    "restart the app to receive webhooks again"})
		if m.Token != nil && m.Fin.Active() {
			s.fallBack("the webhook receiver stopped before SESSION_FINISHED; falling back to polling /link/token/get")
		}
	case DeadlinePassed:
		if m.Token == nil || in.Token != m.Token.Token {
			return nil
		}
		switch in.Timer {
		case TimerPoll:
			m.pollScheduled = false
			s.pollNow()
		case TimerWebhook:
			if m.Fin.Active() && m.Fin.WebhookSeq == 0 && !m.Fin.TimedOut {
				s.fallBack(fmt.Sprintf("/link/token/get shows the session finished, but no verified SESSION_FINISHED webhook came within %s; falling back to polling /link/token/get", m.o.WebhookTimeout))
			}
		default:
			m.sc.deadline(s, in.Timer)
		}
	case Exchanged:
		s.exchanged(in.Item)
	case AutoCompleted:
		m.Auto = false
		m.lastCallErr = ""
		m.sc.autoCompleted(s, in.Recovery)
	case Restored:
		m.sc.restored(s, in.Sent, in.Inbox)
	case CallFailed:
		s.callFailed(in.Call, in.Err)
	case Intent:
		s.intent(in.Kind)
	case Visible:
		m.visible = in.On
		if in.On {
			s.pollLater()
		}
	case Stopped:
		msg := "stopped while waiting for " + m.sc.waitingFor(m)
		if errors.Is(in.Err, context.DeadlineExceeded) {
			msg = "timed out waiting for " + m.sc.waitingFor(m)
		}
		s.emit(Record{"event": "error", "step": "wait", "message": msg, "hint": stepHints["wait"]})
		s.finish(false, msg)
	}
	return s.out
}

// reset forgets the token and everything that followed it; the tunnel stays as it is.
func (m *Machine) reset() {
	*m = Machine{sc: m.sc, o: m.o, tunnelSettled: m.tunnelSettled, tunnelUp: m.tunnelUp, webhookURL: m.webhookURL,
		provider: m.provider, tunnelErr: m.tunnelErr, tunnelInfo: m.tunnelInfo, visible: m.visible, receiverGone: m.receiverGone,
		half: m.sc.newState()}
}

func (m *Machine) tunnelIs(url string, p tunnel.Provider, err error) {
	m.tunnelSettled = true
	m.tunnelUp = err == nil
	m.webhookURL, m.provider, m.tunnelErr = url, p, err
}

// NoWebhook says the token was made without a webhook (the tunnel had failed).
func (m *Machine) NoWebhook() bool { return m.Token != nil && m.Token.Webhook == "" }

// stepper collects one Step's actions.
type stepper struct {
	m   *Machine
	at  time.Time
	out []Action
}

func (s *stepper) do(a Action) { s.out = append(s.out, a) }

// emit stamps a record with the input's time and asks for it to be written.
func (s *stepper) emit(r Record) {
	r["time"] = s.at.UTC().Format(time.RFC3339Nano)
	s.do(Emit{Record: r})
}

func (s *stepper) half() int { return int(s.m.sc.Half()) }

// finish ends the half with its done record.
func (s *stepper) finish(passed bool, reason string) {
	m := s.m
	if m.Done {
		return
	}
	m.Done, m.Passed, m.Reason = true, passed, reason
	m.Auto, m.Creating = false, false
	r := Record{"event": "done", "half": s.half(), "passed": passed}
	if reason != "" {
		r["reason"] = reason
	}
	if m.Fin.Source != "" {
		r["via"] = m.Fin.Source
	}
	s.emit(r)
	s.do(Finished{Passed: passed, Reason: reason})
}

// fail records err at step; with GiveUp the half ends, otherwise the screen shows it and it goes on.
func (s *stepper) fail(step string, err error) {
	s.emit(ErrorRecord(step, err))
	if s.m.o.GiveUp {
		s.finish(false, step+": "+err.Error())
	}
}

func (s *stepper) start() {
	m := s.m
	m.started, m.Creating = true, true
	s.createIfWaiting()
}

// createIfWaiting creates the token once the tunnel has settled, so that it carries the webhook.
func (s *stepper) createIfWaiting() {
	m := s.m
	if !m.started || !m.Creating || m.creating || !m.tunnelSettled {
		return
	}
	if !m.recordedReady {
		if !m.tunnelUp {
			err := m.tunnelErr
			if err == nil {
				err = errors.New("the tunnel is not open")
			}
			s.emit(ErrorRecord("tunnel", err))
			if m.o.GiveUp {
				// Nobody can retry the tunnel, and without webhooks the half cannot pass.
				s.finish(false, "tunnel: "+err.Error())
				return
			}
		}
		m.recordedReady = true
		r := Record{"event": "ready", "half": s.half(), "mode": string(m.o.Mode), "plaid_url": m.o.PlaidURL,
			"webhook_url": m.webhookURL, "tunnel": string(m.provider)}
		if !m.tunnelUp {
			r["tunnel"] = "none"
		}
		if m.tunnelUp && m.provider == tunnel.ProviderNgrok {
			r["ngrok_token_source"] = m.tunnelInfo.TokenSource
			if m.tunnelInfo.FreePlan {
				r["note"] = tunnel.FreePlanNote
			}
		}
		s.emit(r)
	}
	m.creating = true
	s.do(CreateToken{Half: m.sc.Half(), Webhook: m.tunnelUp})
}

func (s *stepper) tokenCreated(in TokenCreated) {
	m, lt := s.m, in.Token
	if !m.Creating {
		return
	}
	m.Creating, m.creating = false, false
	m.Token = &lt
	m.Since = s.at
	m.tokens = []string{lt.Token}
	m.lastCallErr = ""
	s.emit(Record{"event": "link_token_created", "half": s.half(), "link_token": lt.Token,
		"hosted_link_url": lt.HostedLinkURL, "expiration": lt.Expiration.UTC().Format(time.RFC3339),
		"webhook": lt.Webhook, "completion_redirect_uri": lt.RedirectURI, "request_id": lt.RequestID})
	// Plaid has answered once now: its Date says whether our clock will get its webhooks refused.
	if in.ClockWarning != "" {
		s.emit(Record{"event": "warning", "step": "clock", "message": in.ClockWarning, "skew_seconds": int(in.ClockSkew.Seconds())})
	}
	m.sc.tokenCreated(s)
	if m.o.Auto {
		m.Auto = true
		s.do(CompleteSession{URL: lt.HostedLinkURL, Creds: m.sc.AutoCredentials()})
	} else {
		s.emit(Record{"event": "waiting", "half": s.half(), "hosted_link_url": lt.HostedLinkURL,
			"message": "open hosted_link_url in a browser and finish the session"})
	}
	s.pollLater()
}

// pollNow asks /link/token/get at once (unless a poll is already on its way).
func (s *stepper) pollNow() {
	m := s.m
	if m.Token == nil || m.Done || !m.visible || m.pollInFlight {
		return
	}
	m.pollInFlight = true
	s.do(PollToken{Token: m.Token.Token})
}

// pollLater schedules the next poll while the half is on screen and not done.
func (s *stepper) pollLater() {
	m := s.m
	if m.Token == nil || m.Done || !m.visible || m.pollScheduled || m.pollInFlight {
		return
	}
	m.pollScheduled = true
	s.do(Schedule{Timer: TimerPoll, Token: m.Token.Token, After: m.o.PollInterval})
}

func (s *stepper) polled(st TokenStatus) {
	m := s.m
	if m.Fin.Active() {
		if pt := s.m.Fin.onPoll(st, s.at); pt.arm {
			s.do(Schedule{Timer: TimerWebhook, Token: m.Token.Token, After: m.o.WebhookTimeout})
		} else if pt.take != "" {
			s.do(ExchangeToken{PublicToken: pt.take})
		}
	}
	m.sc.polled(s, st)
}

// webhook takes one receiver event: it is recorded, and a verified one about this half's token
// moves it on.
func (s *stepper) webhook(ev webhook.Event) {
	m := s.m
	mine := s.event(ev)
	if ev.Kind == webhook.EventComplete {
		m.Fin.CompleteSeen = m.Fin.CompleteSeen || m.Token != nil
		return
	}
	if !mine || m.Token == nil {
		return
	}
	m.sc.webhook(s, ev)
	if !m.Fin.Active() || !SessionFinished(ev) {
		return
	}
	switch r := m.Fin.onWebhook(ev); {
	case r.take != "":
		s.do(ExchangeToken{PublicToken: r.take})
	case r.exit != "":
		m.sc.sessionExited(s, r.exit)
	}
}

// event records a receiver event; it says whether the event is a webhook about this half's tokens.
func (s *stepper) event(ev webhook.Event) bool {
	r, mine := EventRecord(ev, s.m.tokens)
	if r != nil {
		s.emit(r)
	}
	return mine
}

// EventRecord is the record of a receiver event (nil for a /complete hit), and whether it is a
// webhook about one of tokens: a webhook naming another link token, e.g. from an earlier run, is
// recorded with other_link_token and concerns nobody.
func EventRecord(ev webhook.Event, tokens []string) (Record, bool) {
	switch ev.Kind {
	case webhook.EventWebhook:
		rec := Record{"event": "webhook", "seq": ev.Seq, "verified": ev.Verified, "duplicate": ev.Duplicate}
		mine := ev.Webhook != nil
		if w := ev.Webhook; w != nil {
			rec["webhook_type"] = w.WebhookType
			rec["webhook_code"] = w.WebhookCode
			if w.Status != "" {
				rec["status"] = w.Status
			}
			if w.LinkSessionID != "" {
				rec["link_session_id"] = w.LinkSessionID
			}
			if n := len(PublicTokens(ev)); n > 0 {
				rec["public_token_count"] = n // the tokens themselves are exchangeable: never printed
			}
			if !AboutToken(ev, tokens) {
				mine = false
				rec["other_link_token"] = true
			}
		}
		if !ev.Verified {
			reason := ev.Reason
			if reason == "" {
				reason = "not verified"
			}
			rec["reason"] = reason
		}
		return rec, mine
	case webhook.EventRejected:
		return Record{"event": "error", "step": "receiver",
			"message": fmt.Sprintf("the webhook receiver refused a request (HTTP %d): %s", ev.Status, orDash(ev.Reason)),
			"hint":    "only Plaid should POST JSON to the webhook URL; if this was Plaid, see the reason"}, false
	case webhook.EventForward:
		if rec := ForwardRecord(ev); rec != nil {
			return rec, false
		}
	}
	return nil, false
}

// AboutToken says whether a webhook is about one of tokens: it names one of them, or names no
// link token at all (older webhooks). This is the one place that decides "is it mine".
func AboutToken(ev webhook.Event, tokens []string) bool {
	if ev.Webhook == nil {
		return false
	}
	return ev.Webhook.LinkToken == "" || contains(tokens, ev.Webhook.LinkToken)
}

// fallBack gives up on the webhook: the half follows /link/token/get and can no longer pass.
func (s *stepper) fallBack(why string) {
	m := s.m
	if m.Fin.TimedOut {
		return
	}
	s.emit(Record{"event": "error", "step": "webhook", "message": why,
		"hint": "check the webhook path: is the tunnel up, does the webhook URL reach this app, do the webhooks verify? (see the webhook records)"})
	if tok := m.Fin.timeOut(); tok != "" {
		s.do(ExchangeToken{PublicToken: tok})
	}
}

func (s *stepper) exchanged(it Item) {
	m := s.m
	if m.Fin.publicToken == "" || m.Fin.Item != nil {
		return // nothing was being exchanged (a stale answer)
	}
	m.Fin.Exchanging = false
	m.Fin.Item = &it
	m.lastCallErr = ""
	accounts := make([]Record, 0, len(it.Accounts))
	for _, a := range it.Accounts {
		acc := Record{"account_id": a.ID, "name": a.Name, "mask": a.Mask, "type": a.Type, "subtype": a.Subtype}
		if a.Balance != nil {
			acc["balance_current"] = *a.Balance
		}
		accounts = append(accounts, acc)
	}
	s.emit(Record{"event": "public_token_exchanged", "half": s.half(), "item_id": it.ItemID,
		"institution_id": it.InstitutionID, "accounts": accounts, "via": m.Fin.Source})
	// The pass rule of both halves' last step: the Item came by a verified webhook.
	if m.Fin.Source != "webhook" {
		s.finish(false, "the session finished, but no verified SESSION_FINISHED webhook arrived: the webhook path is broken (see the error records)")
		return
	}
	s.finish(true, "")
}

func (s *stepper) callFailed(c Call, err error) {
	m := s.m
	switch c {
	case CallCreateToken:
		if !m.Creating {
			return
		}
		m.Creating, m.creating = false, false
		s.fail(c.step(), err)
		return
	case CallExchange:
		m.Fin.Exchanging = false
		s.fail(c.step(), err)
		return
	case CallAutoComplete:
		m.Auto = false
		s.fail(c.step(), err)
		return
	case CallRestore:
		m.sc.restoreFailed(s, err)
		return
	case CallPoll:
		m.pollInFlight = false
		// Polling goes on through a blip; a failure is recorded once, not on every poll.
		if err.Error() != m.lastCallErr {
			m.lastCallErr = err.Error()
			s.emit(ErrorRecord(c.step(), err))
		}
		if m.o.GiveUp {
			if !Transient(err) {
				s.finish(false, c.step()+": "+err.Error())
				return
			}
			if NoAnswer(err) {
				if m.failingSince.IsZero() {
					m.failingSince = s.at
				}
				if d := s.at.Sub(m.failingSince); d >= m.o.TransportGrace {
					msg := fmt.Sprintf("Plaid has not answered for %s (last: %s); giving up", d.Round(time.Second), err.Error())
					s.emit(Record{"event": "error", "step": "transport", "message": msg,
						"hint": "check that Plaid (" + orDash(m.o.PlaidURL) + ") is reachable from here (network, proxy, PLAID_BASE_URL), then run the half again"})
					s.finish(false, msg)
					return
				}
			} else {
				m.failingSince = time.Time{}
			}
		}
		s.pollLater()
	}
}

func (s *stepper) intent(k IntentKind) {
	m := s.m
	switch k {
	case IntentAutoComplete:
		if m.Token == nil || m.Auto || !m.o.CanAuto() {
			return
		}
		if url, creds, recovery, ok := m.sc.autoTarget(m); ok {
			m.Auto = true
			s.do(CompleteSession{URL: url, Creds: creds, Recovery: recovery})
		}
	default:
		m.sc.intent(s, k)
	}
}

// CanAutoNow says whether the a key (the emulator walks the current session) can work now: demo
// mode, a token, no walk in flight, and a session left to walk (after half 1's opt-in the sign-up
// session is over; the next one is the recovery e-mail's, once r brought the bank back).
func CanAutoNow(m *Machine) bool {
	if m.Token == nil || m.Auto || !m.o.CanAuto() {
		return false
	}
	_, _, _, ok := m.sc.autoTarget(m)
	return ok
}

// CanAuto says whether the emulator can walk sessions (demo mode).
func (o MachineOptions) CanAuto() bool { return o.Mode == ModeDemo }

// Finish is the state of the wait for a session's Item: a verified SESSION_FINISHED webhook gives
// the public token; once /link/token/get shows the session finished, the webhook has the webhook
// timeout to come, or the half falls back to the polled token (and cannot pass).
type Finish struct {
	Token        string    // the link token whose SESSION_FINISHED is awaited
	On           bool      // the wait has begun
	Since        time.Time // when it began
	FinishedAt   time.Time // when /link/token/get first showed a public token: the webhook clock
	QuietExits   bool      // exits are expected (the sign-up session itself ends without an Item)
	NoWebhook    bool      // the token has no webhook: polling from the start
	TimedOut     bool      // fell back to polling
	CompleteSeen bool      // the /complete page was opened

	WebhookSeq    int64    // the verified SESSION_FINISHED, 0 if none yet
	WebhookStatus string   // its status
	Rejected      []string // unverified SESSION_FINISHED webhooks, with the reason
	Exits         []string // verified SESSION_FINISHED webhooks without a public token
	PolledExits   []string // sessions that exited without an Item, per /link/token/get

	polledToken string
	publicToken string
	Source      string // "webhook" or "polling": where the public token came from
	Exchanging  bool
	Item        *Item
}

// Active says whether the half waits for a public token.
func (f Finish) Active() bool { return f.On && f.publicToken == "" }

// PublicToken is the public token being (or that was) exchanged, "" before one is taken.
func (f Finish) PublicToken() string { return f.publicToken }

// PolledFinished says /link/token/get showed a finished session with a public token.
func (f Finish) PolledFinished() bool { return f.polledToken != "" }

// Waiting says whether the wait is on and no public token is in hand.
func (f Finish) Waiting() bool { return f.Active() }

func newFinish(token string, at time.Time, noWebhook bool) Finish {
	f := Finish{Token: token, On: true, Since: at, NoWebhook: noWebhook}
	f.TimedOut = noWebhook // nothing to wait for: polling is all there is
	return f
}

type pollResult struct {
	arm  bool   // start the webhook clock
	take string // exchange this public token
}

func (f *Finish) onPoll(st TokenStatus, at time.Time) pollResult {
	var r pollResult
	f.PolledExits = nil
	for _, s := range st.Sessions {
		if s.Status == "EXITED" {
			f.PolledExits = append(f.PolledExits, fmt.Sprintf("session %s: status %s, exit %s", orDash(s.ID), orDash(s.Status), orDash(s.ExitCode)))
		}
	}
	tok := st.FirstPublicToken()
	if tok == "" {
		return r
	}
	if f.polledToken == "" {
		f.polledToken = tok
		f.FinishedAt = at
		r.arm = !f.TimedOut
	}
	if f.TimedOut && f.publicToken == "" {
		r.take = f.take(tok, "polling")
	}
	return r
}

type webhookResult struct {
	take string // exchange this public token
	exit string // a verified SESSION_FINISHED without an Item: its status
}

func (f *Finish) onWebhook(ev webhook.Event) webhookResult {
	if !ev.Verified {
		// Anyone can POST to a public URL: an unverified SESSION_FINISHED is shown and ignored.
		reason := ev.Reason
		if reason == "" {
			reason = "no reason given"
		}
		f.Rejected = append(f.Rejected, fmt.Sprintf("#%d: %s", ev.Seq, reason))
		return webhookResult{}
	}
	if ev.Duplicate || f.WebhookSeq != 0 {
		return webhookResult{}
	}
	toks := PublicTokens(ev)
	if len(toks) == 0 {
		f.Exits = append(f.Exits, fmt.Sprintf("webhook #%d: status %s, no public token", ev.Seq, orDash(ev.Webhook.Status)))
		return webhookResult{exit: orDash(ev.Webhook.Status)}
	}
	f.WebhookSeq, f.WebhookStatus = ev.Seq, ev.Webhook.Status
	if f.publicToken != "" {
		return webhookResult{}
	}
	return webhookResult{take: f.take(toks[0], "webhook")}
}

// timeOut falls back to polling; it returns the polled public token to exchange, if any yet.
func (f *Finish) timeOut() string {
	f.TimedOut = true
	if f.publicToken == "" && f.polledToken != "" {
		return f.take(f.polledToken, "polling")
	}
	return ""
}

func (f *Finish) take(tok, source string) string {
	f.publicToken, f.Source, f.Exchanging = tok, source, true
	return tok
}
